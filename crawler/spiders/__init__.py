"""Spiders: one generic configurable spider, plus one base spider per press-room platform.

A source in ``sources.toml`` names its ``platform``; :func:`spider_for` gives the class that
crawls it and :func:`platform_defaults` the start URLs and URL patterns a platform entry
may leave out, so a region on Mynewsdesk is ``platform = "mynewsdesk"`` and its newsroom id.
"""

from __future__ import annotations

from dataclasses import dataclass

from regionsok.errors import ConfigError


@dataclass(frozen=True, slots=True)
class PlatformDefaults:
    """What a platform derives from a newsroom id (empty for the generic spider)."""

    start_urls: tuple[str, ...] = ()
    allowed_domains: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()


def platform_defaults(platform: str, newsroom: str | None) -> PlatformDefaults:
    """Start URLs and patterns for ``platform``'s press room ``newsroom``."""
    if platform == "generic":
        return PlatformDefaults()
    from crawler.spiders.platforms import PLATFORM_SPIDERS

    spider = PLATFORM_SPIDERS.get(platform)
    if spider is None:
        raise ConfigError(f"unknown platform {platform!r}")
    if not newsroom:
        return PlatformDefaults()  # the entry gives its own start_urls (checked by the loader)
    return spider.defaults(newsroom)


def spider_for(platform: str) -> type:
    """The spider class that crawls a source on ``platform``."""
    if platform == "generic":
        from crawler.spiders.generic import GenericSpider

        return GenericSpider
    from crawler.spiders.platforms import PLATFORM_SPIDERS

    try:
        return PLATFORM_SPIDERS[platform]
    except KeyError as err:
        raise ConfigError(f"unknown platform {platform!r}") from err


__all__ = ["PlatformDefaults", "platform_defaults", "spider_for"]
