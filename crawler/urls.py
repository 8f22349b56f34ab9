"""URL hygiene for the crawler: a guard against traps.

Municipal CMSs hand out the same page under many addresses (tracking parameters, session
ids) and generate endless ones (calendars paging month by month, filter combinations). The
canonical form (:func:`regionsok.text.canonical_url`, the store's rule too) keeps one stored
page per article; :class:`TrapGuard` bounds the rest without site-specific rules, so a new
source in ``sources.toml`` is safe by default.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from crawler.ledger import CrawlLedger, LocalLedger

_DIGITS = re.compile(r"\d+")


def url_shape(url: str) -> str:
    """A URL with its numbers folded and its query values dropped: what a trap varies in.

    ``/kalender?manad=2024-11`` and ``/kalender?manad=2031-04`` share a shape, so do
    ``/nyheter?sida=2`` and ``/nyheter?sida=90``; two articles with different slugs do not.
    """
    parts = urlsplit(url)
    keys = ",".join(sorted({k for k, _ in parse_qsl(parts.query, keep_blank_values=True)}))
    return f"{parts.netloc}{_DIGITS.sub('#', parts.path)}?{keys}"


class TrapGuard:
    """Decides, per crawl, whether a discovered URL is worth requesting; says why not.

    Drop reasons (counted in crawler stats as ``regionsok/dropped/<reason>``):
    ``url_too_long``, ``too_many_query_params``, ``repeated_path_segment`` (``/a/b/a/b/a``
    loops from relative links) and ``pattern_variants`` (more than ``max_variants`` URLs of
    one :func:`url_shape`). The variants are counted in ``ledger`` (the crawl's, shared by
    every worker of a shared frontier).
    """

    def __init__(self, *, max_url_length: int, max_query_params: int, max_variants: int,
                 ledger: CrawlLedger | None = None) -> None:
        self.max_url_length = max_url_length
        self.max_query_params = max_query_params
        self.max_variants = max_variants
        self.ledger: CrawlLedger = ledger or LocalLedger()

    def register(self, url: str) -> None:
        """Count a URL we request anyway (a start or known URL) toward its shape."""
        self.ledger.add_variant(url_shape(url), url)

    def reject_reason(self, url: str) -> str | None:
        """None to follow ``url``; else the reason it is dropped."""
        if len(url) > self.max_url_length:
            return "url_too_long"
        parts = urlsplit(url)
        if len(parse_qsl(parts.query, keep_blank_values=True)) > self.max_query_params:
            return "too_many_query_params"
        segments = [s for s in parts.path.split("/") if s]
        if segments and max(segments.count(s) for s in segments) >= 3:
            return "repeated_path_segment"
        if not self.ledger.admit_variant(url_shape(url), url, self.max_variants):
            return "pattern_variants"
        return None
