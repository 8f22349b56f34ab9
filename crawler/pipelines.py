"""Item pipelines: one class per concern, ordered in :func:`crawler.settings.scrapy_settings`.

``CheckPipeline`` drops items that must not reach the store (counted as
``regionsok/dropped/<reason>``); ``StorePipeline`` turns each :class:`~crawler.items.PageItem`
into a store write and counts what it did (``regionsok/new``, ``/changed``, ...).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from crawler.items import PageItem
from crawler.spiders.generic import STAT_PREFIX
from regionsok.records import FetchedPage
from regionsok.store import Store


class CheckPipeline:
    """Drops empty and oversized bodies before they are stored."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.max_bytes = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CheckPipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem) or item.event != "fetched":
            return item
        reason = None
        if not item.body.strip():
            reason = "empty_body"
        elif self.max_bytes and len(item.body) > self.max_bytes:
            reason = "too_large"
        if reason:
            assert self.crawler.stats is not None
            self.crawler.stats.inc_value(f"{STAT_PREFIX}dropped/{reason}")
            raise DropItem(f"{item.url}: {reason}")
        return item


class StorePipeline:
    """Writes pages into the store: fetched → saved (new/changed/unchanged), 304 → touched,
    404/410 → marked removed."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = crawler.settings.get("REGIONSOK_DB_PATH")
        self.store: Store | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    def open_spider(self) -> None:
        self.store = Store.open(self.db_path)

    def close_spider(self) -> None:
        if self.store is not None:
            self.store.close()

    def _inc(self, key: str) -> None:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value(STAT_PREFIX + key)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, PageItem):
            return item
        assert self.store is not None
        source = self.crawler.spider.source  # type: ignore[union-attr]
        if item.event == "not_modified":
            self.store.touch_not_modified(item.url)
        elif item.event == "gone":
            if self.store.mark_removed(item.url, item.status):
                self._inc("removed")
        else:
            page = FetchedPage(
                url=item.url,
                body=item.body,
                content_type=item.content_type,
                final_url=item.url,
                status=item.status,
                etag=item.etag,
                last_modified=item.last_modified,
                fetched_at=datetime.now(UTC),
                source=source.name,
                county_code=source.county,
                kind_hint=source.kind,
                title_hint=item.title_hint,
                published_hint=item.published_hint,
                requested_url=item.requested_url,
            )
            if item.listing:
                self.store.save_listing(page)
                self._inc("listings")
            else:
                self._inc(self.store.save_fetched(page))
        return item
