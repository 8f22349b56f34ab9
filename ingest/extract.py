"""Extraction: one fetched page (or file) → a ``Document``, or ``Rejected`` with the reason.

HTML goes through trafilatura (main text without boilerplate, title, date, site name);
PDF through pypdf; plain text is taken as is (first line = title). Bad input never
raises: an empty file, binary junk, a truncated or encrypted PDF, an image-only PDF or a
page over the size limit each become a ``Rejected`` whose reason the user sees.
"""

from __future__ import annotations

import io
import logging
import re
from dataclasses import dataclass, replace
from datetime import date
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import urlsplit

from ingest.boilerplate import strip_boilerplate
from ingest.decode import CompressedError, decode_bytes, gunzipped, looks_binary, wide_text_as_utf8
from ingest.kind import classify_kind
from ingest.language import detect_language
from ingest.published import find_published, parse_date
from regionsok.records import Document, FetchedPage, Rejected
from regionsok.text import doc_id_for_url

log = logging.getLogger(__name__)

MIN_TEXT_CHARS = 40  # below this, a "document" is a stub (a redirect page, an empty listing)

# A stored URL becomes a link on the web page, so crawled and JSONL content may only carry
# http(s) ones: javascript:, data:, vbscript: or file: from hostile input would be stored XSS
# (or point a reader's browser at their own disk). Files ingested from a local folder are the
# one exception: their URL is the file's own file:// URI, built by ingest, not read from input.
WEB_SCHEMES = frozenset({"http", "https"})
LOCAL_FILE_SOURCE = "file"


def url_scheme_problem(url: str, source: str | None) -> str | None:
    """Why ``url`` may not be stored as a document's address, or None when it may."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower() if url else ""
    except ValueError as err:  # "http://[", a netloc with characters NFKC turns into "/" or "@"
        return f"URL cannot be parsed: {err}"
    if scheme in WEB_SCHEMES:
        return None
    if scheme == "file" and source == LOCAL_FILE_SOURCE:
        return None
    shown = f"{scheme}:" if scheme else "no scheme"
    return f"URL scheme not allowed ({shown}): only http:// and https:// addresses are stored"


@dataclass(frozen=True, slots=True)
class ExtractOptions:
    """How extraction treats its input."""

    max_bytes: int = 10 * 1024 * 1024
    min_text_chars: int = MIN_TEXT_CHARS
    # False only where nothing is stored or linked (`regionsok extract` prints fields).
    check_url_scheme: bool = True


def sniff_format(page: FetchedPage) -> str:
    """'pdf', 'html' or 'text', from the bytes first, then content type and extension.

    A JSONL record says what it is (``html`` or ``text``), so its declared type wins over
    anything its URL looks like: a ``text`` record at ``…/nyhet.html`` is plain text.
    """
    if page.source == "jsonl":
        return "html" if page.content_type.lower().startswith("text/html") else "text"
    head = page.body[:1024].lstrip()
    if head.startswith(b"%PDF"):
        return "pdf"
    ctype = page.content_type.lower()
    path = PurePosixPath(urlsplit(page.final_url or page.url).path.lower())
    if path.suffix == ".gz":  # x.html.gz, decompressed by extract_page: its type is the inner suffix
        path = path.with_suffix("")
    if "pdf" in ctype or path.suffix == ".pdf":
        return "pdf"
    lowered = head[:512].lower()
    if "html" in ctype or path.suffix in (".html", ".htm") or lowered.startswith((b"<!doctype", b"<html")):
        return "html"
    if b"<html" in lowered or b"<body" in lowered:
        return "html"
    return "text"


def extract_page(page: FetchedPage, options: ExtractOptions | None = None) -> Document | Rejected:
    """Turn one page into a document (never raises for bad input)."""
    options = options or ExtractOptions()
    where = page.final_url or page.url
    for url in (page.url, page.final_url) if options.check_url_scheme else ():
        problem = url_scheme_problem(url, page.source) if url is not None else None
        if problem:
            return Rejected(where, problem)
    size = len(page.body)
    if size == 0:
        return Rejected(where, "empty file")
    if size > options.max_bytes:
        return Rejected(
            where, f"too large: {size / 1e6:.1f} MB exceeds the {options.max_bytes / 1e6:.1f} MB limit"
        )
    try:
        inflated = gunzipped(page.body, options.max_bytes)
    except CompressedError as err:
        return Rejected(where, str(err))
    if inflated is not None:
        # x.html.gz: the page inside, sniffed without the .gz (mimetypes already calls it text/html).
        if not inflated:
            return Rejected(where, "empty file (an empty gzip stream)")
        page = replace(page, body=inflated)
    wide = wide_text_as_utf8(page.body, page.content_type)
    if wide is not None:
        page = replace(page, body=wide[0], content_type=wide[1])
    fmt = sniff_format(page)
    if fmt == "pdf":
        result = _from_pdf(page)
    elif looks_binary(page.body):
        return Rejected(where, f"not text: binary content in a file treated as {fmt}")
    elif fmt == "html":
        result = _from_html(page)
    else:
        result = _from_text(page)
    if isinstance(result, Rejected):
        return result
    title, text, published, site_name = result
    text = strip_boilerplate(text)
    if len(text) < options.min_text_chars:
        return Rejected(where, f"no main text found ({len(text)} characters after extraction)")
    title = (page.title_hint or title or _first_line(text) or where).strip()[:500]
    published = parse_date(page.published_hint) or published or find_published(text)
    kind = classify_kind(text, title=title, url=where, hint=page.kind_hint)
    return Document(
        doc_id=page.doc_id or doc_id_for_url(page.url),
        url=page.url,
        title=title,
        text=text,
        language=detect_language(text),
        kind=kind,
        published=published,
        site_name=site_name,
        source=page.source,
        county_code=page.county_code,
        # Every other address the page answered to: after a redirect, the one first asked for.
        urls=tuple(u for u in dict.fromkeys((page.final_url, page.requested_url)) if u and u != page.url),
    )


_Extracted = tuple[str, str, date | None, str | None]


def _from_html(page: FetchedPage) -> _Extracted | Rejected:
    import trafilatura

    where = page.final_url or page.url
    html = decode_bytes(page.body, page.content_type)
    try:
        extracted: Any = trafilatura.bare_extraction(
            html, url=where, with_metadata=True, include_comments=False, include_tables=True,
            favor_precision=True,
        )
    except Exception as err:  # trafilatura/lxml raise many types on broken markup
        return Rejected(where, f"HTML could not be parsed: {type(err).__name__}: {err}")
    if extracted is None or not (extracted.text or "").strip():
        return Rejected(where, "no main text found in the HTML")
    return (extracted.title or "", extracted.text, parse_date(extracted.date), extracted.sitename)


def _from_pdf(page: FetchedPage) -> _Extracted | Rejected:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError

    where = page.final_url or page.url
    try:
        reader = PdfReader(io.BytesIO(page.body), strict=False)
        if reader.is_encrypted:
            try:
                if not reader.decrypt(""):
                    return Rejected(where, "encrypted PDF (a password is needed)")
            except Exception:  # missing crypto backends raise various errors
                return Rejected(where, "encrypted PDF (cannot be decrypted)")
        pages = [p.extract_text() or "" for p in reader.pages]
        meta = reader.metadata
    except (PdfReadError, PyPdfError) as err:
        return Rejected(where, f"broken PDF (truncated or corrupt): {err}")
    except Exception as err:  # pypdf raises plain errors on truncated streams
        return Rejected(where, f"broken PDF (truncated or corrupt): {type(err).__name__}: {err}")
    text = "\n\n".join(_clean_pdf_text(p) for p in pages).strip()
    if not text:
        return Rejected(where, f"PDF has no text layer ({len(pages)} pages, image-only or scanned)")
    title = (meta.title if meta and meta.title else "") or ""
    published = None
    if meta is not None:
        try:
            created = meta.creation_date
            published = created.date() if created else None
        except Exception:  # malformed date strings in PDF metadata
            published = None
    return (title, text, published, None)


_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")
_SPACES = re.compile(r"[ \t\u00a0]{2,}")


def _clean_pdf_text(text: str) -> str:
    """Join words hyphenated across lines; collapse the runs of spaces justified text leaves."""
    text = _HYPHEN_BREAK.sub(r"\1\2", text)
    return "\n".join(_SPACES.sub(" ", line).strip() for line in text.splitlines())


def _from_text(page: FetchedPage) -> _Extracted:
    text = decode_bytes(page.body, page.content_type).replace("\r\n", "\n").replace("\r", "\n")
    return ("", text.strip(), None, None)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
