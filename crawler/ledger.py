"""What a spider counts while it crawls one source, kept where every worker of the crawl sees it.

A spider bounds a crawl (``max_pages``, the trap guard's variants per URL shape) and reads
sitemaps to notice removed pages (a stored document no sitemap lists any more is asked for
again). In one process those counts live in the spider (:class:`LocalLedger`); when several
workers share a frontier (:mod:`crawler.frontier`), they live in Redis, so the bounds hold
for the crawl as a whole and the worker that reads the last sitemap knows every URL the
others read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Protocol


class CrawlLedger(Protocol):
    def add_variant(self, shape: str, url: str) -> None:
        """Count ``url`` toward its shape (a URL requested anyway: a start or known page)."""

    def admit_variant(self, shape: str, url: str, limit: int) -> bool:
        """True when ``url`` is counted under ``shape`` already or was added (fewer than ``limit``)."""

    def pages(self, local: int) -> int:
        """Requests handed out for the source so far (``local``: this spider's own count)."""

    def sitemaps_started(self, count: int) -> None:
        """``count`` more sitemaps are asked for."""

    def sitemap_read(self, urls: Iterable[str]) -> None:
        """A sitemap listed these (canonical) URLs."""

    def sitemap_done(self, ok: bool) -> bool:
        """One sitemap is done (``ok``: read); True when it was the last and every one was read."""

    def in_sitemaps(self, urls: Sequence[str]) -> list[bool]:
        """Whether any sitemap listed each URL."""


class LocalLedger:
    """The ledger of a crawl in one process."""

    def __init__(self) -> None:
        self._variants: dict[str, set[str]] = defaultdict(set)
        self._pending = 0
        self._ok = True
        self._listed: set[str] = set()

    def add_variant(self, shape: str, url: str) -> None:
        self._variants[shape].add(url)

    def admit_variant(self, shape: str, url: str, limit: int) -> bool:
        seen = self._variants[shape]
        if url in seen:
            return True
        if len(seen) >= limit:
            return False
        seen.add(url)
        return True

    def pages(self, local: int) -> int:
        return local

    def sitemaps_started(self, count: int) -> None:
        self._pending += count

    def sitemap_read(self, urls: Iterable[str]) -> None:
        self._listed.update(urls)

    def sitemap_done(self, ok: bool) -> bool:
        self._pending -= 1
        self._ok = self._ok and ok
        return self._pending == 0 and self._ok

    def in_sitemaps(self, urls: Sequence[str]) -> list[bool]:
        return [url in self._listed for url in urls]
