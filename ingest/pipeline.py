"""The ingest stage: inputs → raw pages in the store → documents and versions → extractions.

Every input is first stored as a page (raw bytes kept, compressed), then extracted. The
page, its document (or its rejection) and the page's "ingested" mark are written in one
transaction, so a process killed at any point leaves each input either fully ingested
or not at all, and a rerun picks up exactly the rest.

Extraction is part of storing a document: each entry point (:func:`ingest_paths`,
:func:`ingest_jsonl`, :func:`ingest_pending_pages`) ends by running the NLP
(``ingest.nlp.update_extractions``) on every document whose text or pipeline changed, in
batches. A run killed between the two leaves documents waiting for extraction; the next
ingest, ``regionsok index`` or nightly run extracts them first (the indexer never indexes
a document without its extraction).
"""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingest.extract import ExtractOptions, extract_page
from ingest.nlp import update_extractions
from regionsok.errors import ConfigError
from regionsok.faults import fault_point
from regionsok.records import FetchedPage, Rejected
from regionsok.settings import get_settings
from regionsok.store import Store

log = logging.getLogger(__name__)

SUFFIXES = (".html", ".htm", ".pdf", ".txt")
Progress = Callable[[int], None]  # called with the number of inputs just finished


@dataclass
class IngestReport:
    """What an ingest run did; ``failed`` lists every rejected input with its reason."""

    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicate: int = 0
    failed: list[Rejected] = field(default_factory=list)
    skipped: list[Rejected] = field(default_factory=list)  # files of a folder that ingest does not read
    doc_ids: set[str] = field(default_factory=set)
    extracted: int = 0  # documents the NLP (re)extracted at the end of the run

    @property
    def total(self) -> int:
        return self.new + self.changed + self.unchanged + self.duplicate + len(self.failed)

    def to_json(self) -> dict[str, Any]:
        return {
            "new": self.new, "changed": self.changed, "unchanged": self.unchanged,
            "duplicate": self.duplicate, "extracted": self.extracted,
            "failed": [{"input": r.source, "reason": r.reason} for r in self.failed],
            "skipped": [{"input": r.source, "reason": r.reason} for r in self.skipped],
        }


def ingestable(path: Path) -> bool:
    """Whether a file in a folder is one ingest reads: .html/.htm/.pdf/.txt, or one of them gzipped."""
    suffixes = [s.lower() for s in path.suffixes[-2:]]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in SUFFIXES


def skip_reason(path: Path) -> str:
    """Why a file in a folder is not read (shown in the ingest report)."""
    if path.suffix.lower() == ".jsonl":
        return "skipped: a JSON Lines file is read with `regionsok ingest --jsonl FILE`"
    kind = "".join(path.suffixes[-2:]).lower() or "no extension"
    return f"skipped: not a file type ingest reads ({kind}); it reads .html, .htm, .pdf and .txt (also gzipped)"


def expand_paths(paths: Iterable[Path], skipped: list[Rejected] | None = None) -> list[Path]:
    """Files as given, and the files ingest reads under folders, sorted.

    Every other file of a folder is appended to ``skipped`` with its reason, so a report can
    account for each file (hidden files and folders, such as ``.git``, are not walked).
    """
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            for found in sorted(p for p in path.rglob("*") if p.is_file()):
                if any(part.startswith(".") for part in found.relative_to(path).parts):
                    continue
                if ingestable(found):
                    files.append(found)
                elif skipped is not None:
                    skipped.append(Rejected(str(found), skip_reason(found)))
        else:
            files.append(path)
    return files


def _options() -> ExtractOptions:
    return ExtractOptions(max_bytes=get_settings().max_page_bytes)


def ingest_page(store: Store, page: FetchedPage, report: IngestReport, *, store_raw: bool = True) -> None:
    """Store one page (unless already stored) and turn it into a document, atomically."""
    options = _options()
    if store_raw:
        meta = store.get_page_meta(page.url)
        # ingested_sha256 is NULL until ingest has seen the page; None never equals a hash.
        if meta is not None and meta["sha256"] == page.sha256 and meta["ingested_sha256"] == meta["sha256"]:
            # Same bytes, already ingested: nothing is written at all.
            if meta["error"]:
                report.failed.append(Rejected(page.url, meta["error"]))
                return
            report.unchanged += 1
            if meta["doc_id"]:
                report.doc_ids.add(meta["doc_id"])
            return
    with store.transaction():
        if store_raw:
            store.save_fetched(page)
        result = extract_page(page, options)
        if isinstance(result, Rejected):
            store.record_error(page.url, result.reason)
            store.mark_page_ingested(page.url, page.sha256, None, result.reason)
            report.failed.append(result)
            log.warning("rejected", extra={"input": page.url, "reason": result.reason})
            return
        change, doc_id = store.upsert_document(result)
        store.clear_error(page.url)
        store.mark_page_ingested(page.url, page.sha256, doc_id)
    setattr(report, change, getattr(report, change) + 1)
    report.doc_ids.add(doc_id)


def _file_page(path: Path) -> FetchedPage | Rejected:
    try:
        body = path.read_bytes()
    except OSError as err:
        return Rejected(str(path), f"cannot read: {err.strerror or err}")
    ctype = mimetypes.guess_type(path.name)[0] or ""
    return FetchedPage(
        url=path.resolve().as_uri(), body=body, content_type=ctype,
        fetched_at=datetime.fromtimestamp(path.stat().st_mtime, UTC), source="file",
    )


def ingest_paths(store: Store, paths: Iterable[Path], progress: Progress | None = None,
                 *, extract: bool = True) -> IngestReport:
    """Ingest files and folders (.html/.htm/.pdf/.txt), then extract what changed.

    ``extract=False`` leaves the NLP to the caller (who runs :func:`extract_pending` once
    after several ingest calls).
    """
    report = IngestReport()
    pages = (_file_page(path) if path.exists() else Rejected(str(path), "no such file")
             for path in expand_paths(paths, report.skipped))
    return _ingest_each(store, pages, report, progress, extract=extract)


def _ingest_each(store: Store, pages: Iterable[FetchedPage | Rejected], report: IngestReport,
                 progress: Progress | None, *, extract: bool, store_raw: bool = True) -> IngestReport:
    """Ingest each page (a Rejected one is reported), then, with ``extract``, run the NLP on what changed."""
    for page in pages:
        if isinstance(page, Rejected):
            report.failed.append(page)
        else:
            ingest_page(store, page, report, store_raw=store_raw)
        fault_point("ingest.page")
        if progress:
            progress(1)
    if extract:
        report.extracted = extract_pending(store)
    return report


def extract_pending(store: Store, progress: Progress | None = None) -> int:
    """Run the NLP on every stored document whose text or pipeline changed; returns how many."""
    return update_extractions(store, progress=progress)


def read_jsonl(path: Path, *, require_url: bool = True) -> Iterator[tuple[int, dict[str, Any] | Rejected]]:
    """Records of a JSON Lines file, with line numbers; a bad line is a Rejected, not a crash.

    ``require_url=False`` is for `regionsok extract`, which stores nothing and so needs no URL.
    """
    try:
        # Bytes, decoded line by line: one line that is not UTF-8 is rejected, not the whole file.
        handle = path.open("rb")
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or err}") from err
    with handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{path}:{number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as err:
                yield number, Rejected(where, f"not UTF-8: byte 0x{raw[err.start]:02x} at column {err.start + 1}")
                continue
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                yield number, Rejected(where, f"invalid JSON: {err.msg}")
                continue
            problem = record_problem(record, require_url=require_url)
            yield number, (Rejected(where, problem) if problem else record)


_OPTIONAL_STRINGS = ("title", "published")


def record_problem(record: Any, *, require_url: bool = True) -> str | None:
    """Why a decoded JSONL value cannot become a page, or None when it can.

    Every field that reaches ``FetchedPage`` is checked for its type here, so a number as a
    title or a list as a date is a reason in the report, not a crash further down.
    """
    if not isinstance(record, dict):
        return "a record must be a JSON object"
    if require_url and not isinstance(record.get("url"), str):
        return 'a record needs a "url" string'
    if not isinstance(record.get("text"), str) and not isinstance(record.get("html"), str):
        return 'a record needs "text" or "html"'
    for key in _OPTIONAL_STRINGS:
        if record.get(key) is not None and not isinstance(record[key], str):
            return f'"{key}" must be a string'
    record_id = record.get("id")
    if record_id is not None and (isinstance(record_id, bool) or not isinstance(record_id, str | int | float)):
        return '"id" must be a string or a number'
    for key in ("url", "text", "html", *_OPTIONAL_STRINGS, "id"):
        value = record.get(key)
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as err:  # JSON's "\ud800" escapes decode to lone surrogates
                return f'"{key}" holds an unpaired surrogate (\\u{ord(value[err.start]):04x}), which is not text'
    return None


def jsonl_page(record: dict[str, Any]) -> FetchedPage:
    """A JSONL record as a page: ``html`` is extracted like a crawled page, ``text`` taken as is."""
    is_html = isinstance(record.get("html"), str)
    body = (record["html"] if is_html else record["text"]).encode("utf-8")
    return FetchedPage(
        url=record["url"], body=body,
        content_type="text/html; charset=utf-8" if is_html else "text/plain; charset=utf-8",
        source="jsonl", title_hint=record.get("title"), published_hint=record.get("published"),
        doc_id=str(record["id"]) if record.get("id") not in (None, "") else None,
    )


def ingest_jsonl(store: Store, path: Path, progress: Progress | None = None,
                 *, extract: bool = True) -> IngestReport:
    """Ingest a JSON Lines file: ``{"id"?, "url", "title"?, "text"? | "html"?, "published"?}``.

    ``text`` is plain text whatever the URL looks like; ``html`` is extracted as HTML.
    """
    pages = (record if isinstance(record, Rejected) else jsonl_page(record) for _number, record in read_jsonl(path))
    return _ingest_each(store, pages, IngestReport(), progress, extract=extract)


def ingest_pending_pages(store: Store, progress: Progress | None = None,
                         *, extract: bool = True) -> IngestReport:
    """Ingest pages the crawler stored whose current body has not been ingested yet, then extract."""
    return _ingest_each(store, store.pages_to_ingest(), IngestReport(), progress, extract=extract, store_raw=False)


__all__ = [
    "IngestReport", "expand_paths", "ingestable", "skip_reason", "extract_pending", "ingest_jsonl", "ingest_page", "ingest_paths",
    "ingest_pending_pages",
]
