"""Small text utilities shared by every stage: folding for lookups, canonical URLs, ids."""

from __future__ import annotations

import hashlib
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that identify a visit, not a page: dropped from canonical URLs so the
# same article reached from a newsletter and from the listing is one document.
_TRACKING_PARAMS = frozenset(
    {"utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content", "fbclid", "gclid",
     "sessionid", "sid", "phpsessid", "jsessionid"}
)


def fold(text: str) -> str:
    """Case- and diacritics-insensitive key: 'Åkesson' and 'akesson' fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def canonical_url(url: str) -> str:
    """The URL a document is known by: lower-case scheme and host, no fragment, no
    tracking or session parameters, remaining parameters sorted. Local paths pass through."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return url.strip()
    query = urlencode(
        sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
               if k.lower() not in _TRACKING_PARAMS)
    )
    netloc = parts.netloc.lower()
    if netloc.endswith(":80") and parts.scheme == "http":
        netloc = netloc[:-3]
    if netloc.endswith(":443") and parts.scheme == "https":
        netloc = netloc[:-4]
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


def doc_id_for_url(url: str) -> str:
    """Stable document id from the canonical URL (16 hex characters)."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]
