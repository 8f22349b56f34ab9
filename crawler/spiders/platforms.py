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

import re
from typing import ClassVar

from scrapy.http import Response, TextResponse

from crawler.items import PageItem
from crawler.spiders import PlatformDefaults
from crawler.spiders.generic import GenericSpider

# Pages no platform press room needs: sharing, login, media downloads, language switches.
_COMMON_DENY = (r"/(login|logga-in|share|dela)\b", r"[?&](lang|locale)=(?!sv)", r"/(images|videos|video)/")


class PlatformSpider(GenericSpider):
    """A press-room platform, declared as data: URL templates filled from the newsroom id.

    Templates may use ``{newsroom}`` (as given), ``{newsroom_re}`` (regex-escaped, for
    ``allow``) and ``{publisher}`` (the part before the first ``/``, for ids like
    ``3235664/region-uppsala``).
    """

    start_templates: ClassVar[tuple[str, ...]] = ()
    domains: ClassVar[tuple[str, ...]] = ()
    allow_templates: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def defaults(cls, newsroom: str) -> PlatformDefaults:
        names = {"newsroom": newsroom, "newsroom_re": re.escape(newsroom),
                 "publisher": newsroom.split("/", 1)[0]}
        return PlatformDefaults(
            start_urls=tuple(t.format(**names) for t in cls.start_templates),
            allowed_domains=cls.domains,
            allow=tuple(t.format(**names) for t in cls.allow_templates),
            deny=_COMMON_DENY,
        )


class MynewsdeskSpider(PlatformSpider):
    """Mynewsdesk press rooms: ``mynewsdesk.com/se/<newsroom>/pressreleases``, paged ``?page=N``."""

    name = platform = "mynewsdesk"
    item_patterns = (r"/(pressreleases|news)/[^/?#]+-\d+$",)
    start_templates = ("https://www.mynewsdesk.com/se/{newsroom}/pressreleases",
                       "https://www.mynewsdesk.com/se/{newsroom}/news")
    domains = ("mynewsdesk.com",)
    allow_templates = (r"/se/{newsroom_re}/(pressreleases|news)", r"//{newsroom_re}\.mynewsdesk\.com/")

    def post_process_item(self, item: PageItem, response: Response) -> PageItem:
        # Mynewsdesk puts the release date in a <time> inside the release header.
        if item.published_hint is None and isinstance(response, TextResponse):
            value = response.css("header time::attr(datetime), .newsroom-date::text").get()
            item.published_hint = value.strip()[:10] if value else None
        return item


class ViaTTSpider(PlatformSpider):
    """Via TT press rooms: ``via.tt.se/pressrum/<id>/<slug>``; releases under ``/pressmeddelande/``."""

    name = platform = "viatt"
    item_patterns = (r"/pressmeddelande/\d+/",)
    start_templates = ("https://via.tt.se/pressrum/{newsroom}",)
    domains = ("via.tt.se",)
    # A press room links other publishers' releases too; keep this publisher's.
    allow_templates = (r"/pressrum/{publisher}/", r"/pressmeddelande/\d+/.*publisherId={publisher}")


class NotifiedSpider(PlatformSpider):
    """Notified (formerly Cision) newsrooms: ``newsroom.notified.com/<newsroom>``."""

    name = platform = "notified"
    item_patterns = (r"/posts/(pressreleases|news)/[^/?#]+$",)
    start_templates = ("https://newsroom.notified.com/{newsroom}",)
    domains = ("newsroom.notified.com",)
    allow_templates = (r"/{newsroom_re}(/|$)",)


class PressmachineSpider(PlatformSpider):
    """Pressmachine press rooms: ``pressmachine.se/pressroom/view/<newsroom>``, yearly archives."""

    name = platform = "pressmachine"
    item_patterns = (r"/pressrelease/view/",)
    start_templates = ("https://www.pressmachine.se/pressroom/view/{newsroom}",)
    domains = ("pressmachine.se",)
    allow_templates = (r"/pressroom/view/{newsroom_re}", r"/pressrelease/view/")


PLATFORM_SPIDERS: dict[str, type[GenericSpider]] = {
    cls.platform: cls for cls in (MynewsdeskSpider, ViaTTSpider, NotifiedSpider, PressmachineSpider)
}
