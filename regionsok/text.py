"""Small text utilities shared by every stage: folding for lookups, canonical URLs, ids."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

# Query parameters that never change what a page says (campaign tracking) ...
_TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi)$", re.I)
# ... and session identifiers: each visit gets a new one, so following them never ends.
_SESSION = re.compile(r"^(session_?id|sid|jsessionid|phpsessid|aspsessionid\w*|cfid|cftoken)$", re.I)
_PATH_SESSION = re.compile(r";(jsessionid|sessionid|sid)=[^/?#]*", re.I)
_DEFAULT_PORTS = {"http": ":80", "https": ":443"}


def fold(text: str) -> str:
    """Case- and diacritics-insensitive key: 'Åkesson' and 'akesson' fold alike."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(stripped.casefold().split())


def canonical_url(url: str) -> str:
    """The one address a page or document is known by, in the crawler and in the store alike.

    Lower-case scheme and host, no default port, no fragment, no tracking or session
    parameters (``utm_*``, ``fbclid``, ``msclkid``, ``mc_*``, ``jsessionid`` …, also as a
    ``;jsessionid=`` path parameter), the remaining parameters sorted (the same page linked
    with its parameters in another order is one document). Anything but http(s) passes
    through stripped (local files, rejected schemes).
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        return url.strip()
    query = urlencode(sorted(
        (k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if not _TRACKING.match(k) and not _SESSION.match(k)
    ))
    netloc = parts.netloc.lower().removesuffix(_DEFAULT_PORTS[scheme])
    return urlunsplit((scheme, netloc, _PATH_SESSION.sub("", parts.path) or "/", query, ""))


def doc_id_for_url(url: str) -> str:
    """Stable document id from the canonical URL (16 hex characters)."""
    return hashlib.sha1(canonical_url(url).encode("utf-8")).hexdigest()[:16]
