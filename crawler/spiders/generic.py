"""The generic spider: any site described by a ``[[source]]`` table.

What it does for one source:

- starts from ``start_urls``, ``sitemap_urls`` and the listings the store holds for the
  source, all asked conditionally: the stored ``ETag`` / ``Last-Modified`` go out as
  ``If-None-Match`` / ``If-Modified-Since``, so an unchanged page costs a 304 and no body;
- asks again for a stored *document* only when there is a reason: a sitemap ``<lastmod>``
  at or after our last check, a sitemap that no longer lists it (a 404/410 then marks it
  removed), or a last check older than about ``recheck_days`` (spread per URL). A re-crawl
  of an unchanged site is then a few 304s on listings and sitemaps;
- follows links inside ``allowed_domains`` that match ``allow`` and not ``deny``, always
  follows ``rel="next"`` pagination and links to PDFs, up to ``max_depth`` hops and
  ``max_pages`` requests, through a :class:`~crawler.urls.TrapGuard`;
- yields one :class:`~crawler.items.PageItem` per answer. A page is a *document* (ingested)
  or a *listing* (only followed: start pages, paging/filter pages with a query string, and
  pages whose ``rel="canonical"`` points elsewhere). Sources can say which URLs are
  documents with ``items`` patterns; platform spiders set them per platform.

Platform spiders subclass this and override :attr:`item_patterns`, :meth:`defaults`,
:meth:`pre_process` and :meth:`post_process_item`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response, TextResponse
from scrapy.linkextractors import IGNORED_EXTENSIONS, LinkExtractor
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.items import KnownPage, PageItem
from crawler.ledger import CrawlLedger, LocalLedger
from crawler.sources import CrawlPolicy, Source
from crawler.urls import TrapGuard
from regionsok.text import canonical_url

logger = logging.getLogger(__name__)

_PDF_LINK = r"\.pdf($|[?#])"
_ARTICLE_MARKUP = 'meta[property="article:published_time"], meta[property="og:type"][content="article"]'
_PAGINATION = "a[rel~=next]::attr(href), link[rel~=next]::attr(href)"
#: Stats keys this spider counts (``regionsok/<key>``), read back into the crawl report.
STAT_PREFIX = "regionsok/"
#: Signal sent once ``start()`` has handed every start request to the scheduler (the shared
#: frontier, :mod:`crawler.frontier`, opens its run to the end rule only then).
SEEDED = object()


def _stat(key: str) -> str:
    return STAT_PREFIX + key


class GenericSpider(scrapy.Spider):
    """Crawls one source; ``known`` is what the store holds for it (see :class:`KnownPage`)."""

    name = "generic"
    platform: ClassVar[str] = "generic"
    #: Regexes (searched in the canonical URL) of pages that are documents; empty: heuristics.
    item_patterns: ClassVar[tuple[str, ...]] = ()
    # 304 and 404/410 are answers we act on, not errors.
    handle_httpstatus_list: ClassVar[list[int]] = [304, 404, 410]
    #: False in a worker that joins a shared frontier another worker seeded: its start
    #: requests are in the queue already (set by :class:`crawler.frontier.FrontierScheduler`).
    seeds: bool = True

    def __init__(
        self,
        source: Source,
        policy: CrawlPolicy | None = None,
        known: dict[str, KnownPage] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(name=source.name, **kwargs)
        self.source = source
        self.policy = policy or CrawlPolicy()
        self.known = dict(known or {})
        self.allowed_domains = list(source.allowed_domains)
        self.ledger: CrawlLedger = LocalLedger()
        self.guard = TrapGuard(
            ledger=self.ledger,
            max_url_length=self.policy.max_url_length,
            max_query_params=self.policy.max_query_params,
            max_variants=self.policy.max_variants_per_pattern,
        )
        patterns = source.items if source.items else self.item_patterns
        self._items = [re.compile(p) for p in patterns]
        self._start = {canonical_url(u) for u in source.start_urls}
        self._requested: set[str] = set()
        deny_ext = [e for e in IGNORED_EXTENSIONS if e != "pdf"]
        # Domains are checked by _in_domains: LinkExtractor's check compares host:port.
        self._links = LinkExtractor(allow=source.allow, deny=source.deny, deny_extensions=deny_ext)
        self._pdfs = LinkExtractor(allow=[_PDF_LINK], deny=source.deny, deny_extensions=[])
        self.errors: list[str] = []
        self._now = datetime.now(UTC)

    def use_ledger(self, ledger: CrawlLedger) -> None:
        """Count pages, URL variants and sitemaps in ``ledger`` (a shared frontier's) from now on."""
        self.ledger = self.guard.ledger = ledger

    # -- platform hooks -------------------------------------------------------------------

    def pre_process(self, response: Response) -> Response:
        """Adjust a response before it is examined (e.g. a platform's JSON wrapper)."""
        return response

    def post_process_item(self, item: PageItem, response: Response) -> PageItem:
        """Adjust an item before it is yielded (e.g. a platform's own date markup)."""
        return item

    # -- requests -------------------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        if not self.seeds:
            return
        async for request in self._start_requests():
            yield request
        self.crawler.signals.send_catch_log(SEEDED, spider=self)

    async def _start_requests(self) -> AsyncIterator[scrapy.Request]:
        self.ledger.sitemaps_started(len(self.source.sitemap_urls))
        for url in self.source.sitemap_urls:
            yield self._sitemap_request(url)
        for url in self.source.start_urls:
            request = self._request(canonical_url(url), hops=0, check_guard=False, recheck=True)
            if request is not None:
                yield request
        # Known listings every time (new pages show up there); known documents when stale.
        for url, page in sorted(self.known.items()):
            if page.listing or self._stale(url, page):
                request = self._request(url, hops=min(1, self.source.max_depth), check_guard=False,
                                        recheck=True)
                if request is not None:
                    yield request

    def _sitemap_request(self, url: str) -> scrapy.Request:
        return scrapy.Request(url, callback=self.parse_sitemap, errback=self.on_error, meta={"hops": 0},
                              dont_filter=True)

    def _stale(self, url: str, page: KnownPage) -> bool:
        """Whether a stored document is due for a re-check (0.5-1.5 × recheck_days, per URL)."""
        spread = 0.5 + int(hashlib.sha1(url.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return self._now - page.checked_at > timedelta(days=self.policy.recheck_days * spread)

    def _request(
        self, url: str, *, hops: int, check_guard: bool = True, recheck: bool = False
    ) -> scrapy.Request | None:
        """A request for ``url`` (conditional when we know it), or None when it is not followed.

        A stored document that is merely linked again is not asked for unless ``recheck``
        (a reason to think it changed) or it is stale.
        """
        if url in self._requested:
            return None
        page = self.known.get(url)
        if page is not None and not page.listing and not recheck and not self._stale(url, page):
            self.crawler.stats.inc_value(_stat("dropped/fresh"))
            return None
        if check_guard:
            reason = self.guard.reject_reason(url)
            if reason is not None:
                self.crawler.stats.inc_value(_stat(f"dropped/{reason}"))
                return None
        else:
            self.guard.register(url)
        if self.ledger.pages(len(self._requested)) >= max(self.source.max_pages, len(self.known)):
            self.crawler.stats.inc_value(_stat("dropped/max_pages"))
            return None
        self._requested.add(url)
        headers: dict[str, str] = {}
        if page is not None and page.etag:
            headers["If-None-Match"] = page.etag
        if page is not None and page.last_modified:
            headers["If-Modified-Since"] = page.last_modified
        return scrapy.Request(url, headers=headers, callback=self.parse, errback=self.on_error,
                              meta={"hops": hops})

    # -- responses ------------------------------------------------------------------------

    def parse(self, response: Response, **kwargs: Any) -> Iterator[Any]:
        response = self.pre_process(response)
        url = canonical_url(response.url)
        # Scrapy's redirect middleware keeps the addresses it left behind, the first one asked for first.
        first = response.meta.get("redirect_urls") or [response.url]
        requested = canonical_url(first[0])
        requested_url = requested if requested != url else None
        if response.status == 304:
            self.crawler.stats.inc_value(_stat("not_modified"))
            yield PageItem(event="not_modified", url=url, status=304)
            return
        if response.status in (404, 410):
            yield PageItem(event="gone", url=url, status=response.status)
            return
        content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1").lower()
        self.crawler.stats.inc_value(_stat("fetched"))
        if "pdf" in content_type or response.body[:5] == b"%PDF-":
            etag, last_modified = self._validators(response)
            item = PageItem(event="fetched", url=url, status=response.status, body=response.body,
                            content_type=content_type or "application/pdf",
                            etag=etag, last_modified=last_modified, requested_url=requested_url)
            yield self.post_process_item(item, response)
            return
        if not isinstance(response, TextResponse) or (
            "html" not in content_type and not response.body.lstrip()[:1] == b"<"
        ):
            self.crawler.stats.inc_value(_stat("skipped/not_html"))
            return
        canonical = response.css('link[rel="canonical"]::attr(href)').get()
        alias_of = None
        if canonical:
            target = canonical_url(urljoin(response.url, canonical))
            if target != url and self._in_domains(target):
                alias_of = target
        listing = alias_of is not None or not self.is_document(url, response)
        etag, last_modified = self._validators(response)
        item = PageItem(
            event="fetched", url=url, status=response.status, body=response.body,
            content_type=content_type, listing=listing,
            title_hint=self._title(response), published_hint=self._published(response),
            etag=etag, last_modified=last_modified, requested_url=requested_url,
        )
        yield self.post_process_item(item, response)
        hops = int(response.meta.get("hops", 0))
        if alias_of is not None:
            request = self._request(alias_of, hops=hops)
            if request is not None:
                yield request
        yield from self._follow(response, hops)

    def parse_sitemap(self, response: Response, **kwargs: Any) -> Iterator[scrapy.Request]:
        """Sitemap indexes are followed; a urlset's locations are requested (filtered like links).

        A stored document listed with a ``<lastmod>`` at or after our last check (or with none)
        is re-checked. When every sitemap has been read, stored documents that no sitemap
        lists any more are re-checked too: that is how a removed page is noticed.
        """
        ok = response.status == 200
        sitemap = None
        if not ok:
            self.crawler.stats.inc_value(_stat("skipped/sitemap_status"))
        else:
            try:
                sitemap = Sitemap(response.body)
            except Exception as err:  # lxml raises several types on broken XML
                ok = False
                self._fail(response.url, f"unreadable sitemap: {err}")
        listed: list[str] = []
        for entry in sitemap or ():
            loc = entry.get("loc")
            if not loc:
                continue
            if sitemap is not None and sitemap.type == "sitemapindex":
                if self._in_domains(loc):
                    self.ledger.sitemaps_started(1)
                    yield self._sitemap_request(loc)
                continue
            url = canonical_url(loc)
            listed.append(url)
            if self._wanted(url):
                page = self.known.get(url)
                lastmod = _parse_lastmod(entry.get("lastmod"))
                recheck = page is not None and (lastmod is None or lastmod >= page.checked_at)
                request = self._request(url, hops=1, recheck=recheck)
                if request is not None:
                    yield request
        self.ledger.sitemap_read(listed)
        if self.ledger.sitemap_done(ok):
            yield from self._recheck_unlisted()

    def _recheck_unlisted(self) -> Iterator[scrapy.Request]:
        documents = [url for url, page in sorted(self.known.items()) if not page.listing]
        for url, listed in zip(documents, self.ledger.in_sitemaps(documents), strict=True):
            if not listed:
                request = self._request(url, hops=min(1, self.source.max_depth), check_guard=False, recheck=True)
                if request is not None:
                    yield request

    def _follow(self, response: TextResponse, hops: int) -> Iterator[scrapy.Request]:
        # Pagination keeps the listing's hop count: page 7 of a press room is no deeper than page 1.
        for href in response.css(_PAGINATION).getall():
            url = canonical_url(urljoin(response.url, href))
            if self._in_domains(url) and not self._denied(url):
                request = self._request(url, hops=hops)
                if request is not None:
                    yield request
        if hops >= self.source.max_depth:
            return
        for extractor in (self._links, self._pdfs):
            for link in extractor.extract_links(response):
                url = canonical_url(link.url)
                if not self._in_domains(url):
                    continue
                request = self._request(url, hops=hops + 1)
                if request is not None:
                    yield request

    def on_error(self, failure: Failure) -> Iterator[scrapy.Request]:
        """Robots.txt refusals and off-site links are skipped; anything else is a failed URL."""
        request = failure.request  # type: ignore[attr-defined]
        if request.callback == self.parse_sitemap:
            self.ledger.sitemap_done(False)
        if failure.check(HttpError):
            self._fail(request.url, f"HTTP {failure.value.response.status}")
        elif failure.check(IgnoreRequest):
            self.crawler.stats.inc_value(_stat("skipped/ignored"))
        else:
            self._fail(request.url, f"{failure.type.__name__}: {failure.getErrorMessage()}")
        return iter(())

    # -- helpers --------------------------------------------------------------------------

    def is_document(self, url: str, response: TextResponse | None = None) -> bool:
        """Whether a page is a document to ingest (True) or only a listing to follow.

        With ``items`` patterns (the source's, else the platform's), exactly the pages they
        match. Otherwise every page except pages with a query string (paging, filters,
        calendars) and start pages, unless a start page is itself marked up as an article.
        """
        if self._items:
            return any(p.search(url) for p in self._items)
        if urlsplit(url).query:
            return False
        if url in self._start:
            return response is not None and bool(response.css(_ARTICLE_MARKUP).get())
        return True

    def _fail(self, url: str, reason: str) -> None:
        self.crawler.stats.inc_value(_stat("failed"))
        if len(self.errors) < 20:
            self.errors.append(f"{url}: {reason}")
        logger.warning("fetch failed", extra={"source": self.source.name, "url": url, "reason": reason})

    def _in_domains(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.source.allowed_domains)

    def _denied(self, url: str) -> bool:
        return any(re.search(p, url) for p in self.source.deny)

    def _wanted(self, url: str) -> bool:
        if not self._in_domains(url) or self._denied(url):
            return False
        if not self.source.allow or re.search(_PDF_LINK, url):
            return True
        return any(re.search(p, url) for p in self.source.allow)

    @staticmethod
    def _validators(response: Response) -> tuple[str | None, str | None]:
        """The response's (ETag, Last-Modified), sent back next time as conditions."""

        def header(name: bytes) -> str | None:
            value = response.headers.get(name)
            return value.decode("latin-1") if value else None

        return header(b"ETag"), header(b"Last-Modified")

    @staticmethod
    def _title(response: Response) -> str | None:
        title = response.css('meta[property="og:title"]::attr(content)').get() or response.css("h1::text").get()
        return title.strip() if title else None

    @staticmethod
    def _published(response: Response) -> str | None:
        for query in ('meta[property="article:published_time"]::attr(content)', "time::attr(datetime)"):
            value = response.css(query).get()
            if value:
                return value.strip()[:10]
        return None


def _parse_lastmod(value: str | None) -> datetime | None:
    """A sitemap ``<lastmod>`` (W3C datetime: a date, or a date and time with zone) in UTC."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
