"""The press-room platforms many regions share, as data: where a newsroom starts, what to follow.

A source in ``sources.toml`` names its ``platform`` and newsroom id; :func:`platform_defaults`
fills in the start URLs, domains and URL patterns the entry may leave out. The loader
(``crawler.sources``) and the spiders (``crawler.spiders.platforms``) both read this module, so
neither imports the other. Templates may use ``{newsroom}`` (as given), ``{newsroom_re}``
(regex-escaped, for ``allow``) and ``{publisher}`` (the part before the first ``/``, for ids like
``3235664/region-uppsala``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from regionsok.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PlatformDefaults:
    """What a platform derives from a newsroom id (empty for the generic spider)."""

    start_urls: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PlatformUrls:
    """One platform's URL templates."""

    start: tuple[str, ...]
    domains: tuple[str, ...]
    allow: tuple[str, ...]
    #: Which of its URLs are releases (documents); the rest are listings.
    items: tuple[str, ...]


# Pages no platform press room needs: sharing, login, media downloads, language switches.
COMMON_DENY = (r"/(login|logga-in|share|dela)\b", r"[?&](lang|locale)=(?!sv)", r"/(images|videos|video)/")

PLATFORM_URLS: dict[str, PlatformUrls] = {
    "mynewsdesk": PlatformUrls(
        start=("https://www.mynewsdesk.com/se/{newsroom}/pressreleases", "https://www.mynewsdesk.com/se/{newsroom}/news"),
        domains=("mynewsdesk.com",),
        allow=(r"/se/{newsroom_re}/(pressreleases|news)", r"//{newsroom_re}\.mynewsdesk\.com/"),
        items=(r"/(pressreleases|news)/[^/?#]+-\d+$",),
    ),
    "viatt": PlatformUrls(
        start=("https://via.tt.se/pressrum/{newsroom}",),
        domains=("via.tt.se",),
        # A press room links other publishers' releases too; keep this publisher's.
        allow=(r"/pressrum/{publisher}/", r"/pressmeddelande/\d+/.*publisherId={publisher}"),
        items=(r"/pressmeddelande/\d+/",),
    ),
    "notified": PlatformUrls(
        start=("https://newsroom.notified.com/{newsroom}",),
        domains=("newsroom.notified.com",),
        allow=(r"/{newsroom_re}(/|$)",),
        items=(r"/posts/(pressreleases|news)/[^/?#]+$",),
    ),
    "pressmachine": PlatformUrls(
        start=("https://www.pressmachine.se/pressroom/view/{newsroom}",),
        domains=("pressmachine.se",),
        allow=(r"/pressroom/view/{newsroom_re}", r"/pressrelease/view/"),
        items=(r"/pressrelease/view/",),
    ),
}
#: Every platform a source may name ("generic" is the configurable spider).
PLATFORMS: tuple[str, ...] = ("generic", *PLATFORM_URLS)


def platform_defaults(platform: str, newsroom: str | None) -> PlatformDefaults:
    """Start URLs and patterns for ``platform``'s press room ``newsroom``; ConfigError if unknown."""
    if platform == "generic":
        return PlatformDefaults()
    urls = PLATFORM_URLS.get(platform)
    if urls is None:
        raise ConfigError(f"unknown platform {platform!r}")
    if not newsroom:
        return PlatformDefaults()  # the entry gives its own start_urls (checked by the loader)
    names = {"newsroom": newsroom, "newsroom_re": re.escape(newsroom), "publisher": newsroom.split("/", 1)[0]}
    return PlatformDefaults(
        start_urls=tuple(t.format(**names) for t in urls.start),
        allowed_domains=urls.domains,
        allow=tuple(t.format(**names) for t in urls.allow),
        deny=COMMON_DENY,
    )


__all__ = ["PLATFORMS", "PLATFORM_URLS", "PlatformDefaults", "platform_defaults"]
