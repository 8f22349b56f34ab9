"""Base spiders for the press-room platforms many regions share.

A region on one of them is a few lines in ``sources.toml``::

    [[source]]
    name = "region-uppsala-mynewsdesk"
    county = "03"
    kind = "press_release"
    platform = "mynewsdesk"
    newsroom = "regionuppsala"

Each class knows, from the newsroom id alone, where the press room starts, which of its URLs
are releases (documents) and which are listings, and how the platform marks a release's
date. Everything else (politeness, conditional requests, traps) is the generic spider's.
"""

from __future__ import annotations

from scrapy.http import Response, TextResponse

from crawler.items import PageItem
from crawler.platforms import PLATFORM_URLS
from crawler.spiders.generic import GenericSpider


class PlatformSpider(GenericSpider):
    """A press-room platform: which pages are releases and how it dates them.

    Its start URLs and URL patterns are data in :mod:`crawler.platforms` (the sources
    loader fills them into each entry); everything else is the generic spider's.
    """


class MynewsdeskSpider(PlatformSpider):
    """Mynewsdesk press rooms: ``mynewsdesk.com/se/<newsroom>/pressreleases``, paged ``?page=N``."""

    name = platform = "mynewsdesk"
    item_patterns = PLATFORM_URLS["mynewsdesk"].items

    def post_process_item(self, item: PageItem, response: Response) -> PageItem:
        # Mynewsdesk puts the release date in a <time> inside the release header.
        if item.published_hint is None and isinstance(response, TextResponse):
            value = response.css("header time::attr(datetime), .newsroom-date::text").get()
            item.published_hint = value.strip()[:10] if value else None
        return item


class ViaTTSpider(PlatformSpider):
    """Via TT press rooms: ``via.tt.se/pressrum/<id>/<slug>``; releases under ``/pressmeddelande/``."""

    name = platform = "viatt"
    item_patterns = PLATFORM_URLS["viatt"].items


class NotifiedSpider(PlatformSpider):
    """Notified (formerly Cision) newsrooms: ``newsroom.notified.com/<newsroom>``."""

    name = platform = "notified"
    item_patterns = PLATFORM_URLS["notified"].items


class PressmachineSpider(PlatformSpider):
    """Pressmachine press rooms: ``pressmachine.se/pressroom/view/<newsroom>``, yearly archives."""

    name = platform = "pressmachine"
    item_patterns = PLATFORM_URLS["pressmachine"].items


PLATFORM_SPIDERS: dict[str, type[GenericSpider]] = {
    cls.platform: cls for cls in (MynewsdeskSpider, ViaTTSpider, NotifiedSpider, PressmachineSpider)
}
