"""Bytes → text with the right encoding, or a reason why these bytes are not text.

Swedish pages without a charset declaration are often ISO-8859-1/Windows-1252: decoding
them as UTF-8 with replacement would turn å, ä, ö into U+FFFD. Order: BOM, the HTTP
header's charset, the page's own <meta charset>, strict UTF-8, then Windows-1252.
UTF-16 and UTF-32 are recognised by their BOM only (without one they look like binary).
"""

from __future__ import annotations

import codecs
import io
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


# Longest first: the UTF-32 LE BOM begins with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHARSET_PARAM = re.compile(r";\s*charset\s*=[^;]*", re.IGNORECASE)


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` announces, or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def wide_text_as_utf8(data: bytes, content_type: str = "") -> tuple[bytes, str] | None:
    """UTF-16/32 text with a BOM as UTF-8 bytes and a content type saying so; else None.

    Such text is full of NUL bytes, so every byte-level check (binary sniffing, "<html"
    detection) would misread it; transcoding once up front lets those checks see text.
    A BOM followed by bytes that do not decode is left alone (and so found binary).
    """
    encoding = bom_encoding(data)
    if encoding not in ("utf-16", "utf-32"):
        return None
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        return None
    base = _CHARSET_PARAM.sub("", content_type).strip()
    return text.encode("utf-8"), f"{base}; charset=utf-8" if base else "text/plain; charset=utf-8"


_GZIP_MAGIC = b"\x1f\x8b"
_OTHER_ARCHIVES = ((b"BZh", "bzip2"), (b"\xfd7zXZ\x00", "xz"), (b"PK\x03\x04", "zip"),
                   (b"\x28\xb5\x2f\xfd", "zstd"), (b"7z\xbc\xaf\x27\x1c", "7z"))


class CompressedError(ValueError):
    """Compressed bytes that cannot be read as a page (the message is the user's reason)."""


def gunzipped(data: bytes, max_bytes: int) -> bytes | None:
    """The content of gzip ``data`` (None when not gzip), read at most ``max_bytes`` far.

    Raises CompressedError for a gzip stream that is corrupt or expands past ``max_bytes``
    (a gzip bomb stops there, it is never inflated whole), and for the other archive
    formats, which hold files rather than one page.
    """
    import gzip
    import zlib

    for magic, name in _OTHER_ARCHIVES:
        if data.startswith(magic):
            if name == "zip":  # .docx/.xlsx/.odt are zip containers too
                raise CompressedError("compressed archive (zip, or a .docx/.odt document): not a "
                                      "supported format; unpack or convert it to PDF, HTML or text")
            raise CompressedError(f"compressed archive ({name}): unpack it and ingest the files inside")
    if not data.startswith(_GZIP_MAGIC):
        return None
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            content = stream.read(max_bytes + 1)
    except (OSError, EOFError, zlib.error) as err:
        raise CompressedError(f"broken gzip file: {err}") from err
    if len(content) > max_bytes:
        raise CompressedError(f"gzip content exceeds the {max_bytes / 1e6:.1f} MB limit when decompressed")
    return content


def looks_binary(data: bytes) -> bool:
    """True for bytes that are clearly not text (NULs or many control characters)."""
    sample = data[:8192]
    if not sample:
        return False
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls / len(sample) > 0.05


def _known(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name.strip().lower()).name
    except LookupError:
        return None


def decode_bytes(data: bytes, content_type: str = "") -> str:
    """Decode ``data`` using the most trustworthy charset evidence available."""
    announced = bom_encoding(data)
    if announced:
        return data.decode(announced, errors="replace")
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(data[:4096])
    declared = [_known(header.group(1) if header else None),
                _known(meta.group(1).decode("ascii", "ignore") if meta else None)]
    for encoding in declared:
        if encoding is None:
            continue
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue  # a wrong declaration is common; fall through to detection
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
