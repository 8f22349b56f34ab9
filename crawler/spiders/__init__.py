"""Spiders: one generic configurable spider, plus one base spider per press-room platform.

A source in ``sources.toml`` names its ``platform``; :func:`spider_for` gives the class that
crawls it. What a platform derives from a newsroom id (start URLs, patterns) is data in
:mod:`crawler.platforms`, which the sources loader reads without importing any spider.
"""

from __future__ import annotations

from crawler.spiders.generic import GenericSpider
from crawler.spiders.platforms import PLATFORM_SPIDERS
from regionsok.errors import ConfigError


def spider_for(platform: str) -> type[GenericSpider]:
    """The spider class that crawls a source on ``platform``."""
    if platform == "generic":
        return GenericSpider
    try:
        return PLATFORM_SPIDERS[platform]
    except KeyError as err:
        raise ConfigError(f"unknown platform {platform!r}") from err


__all__ = ["spider_for"]
