"""Bytes → text with the right encoding, or a reason why these bytes are not text.

Swedish pages without a charset declaration are often ISO-8859-1/Windows-1252: decoding
them as UTF-8 with replacement would turn å, ä, ö into U+FFFD. Order: BOM, the HTTP
header's charset, the page's own <meta charset>, strict UTF-8, then Windows-1252.
"""

from __future__ import annotations

import codecs
import re

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.IGNORECASE)


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
    for bom, bom_encoding in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                          (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(bom_encoding, errors="replace")
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
