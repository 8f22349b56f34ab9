"""Errors of the crawler stage (part of the hierarchy in :mod:`regionsok.errors`).

    RegionsokError
    └── CrawlError      the crawl process could not run or died before reporting

Scrapy's and Twisted's own errors never leave the crawl process: per-URL failures are counted
in the report, a source that cannot start is reported failed with its reason.
"""

from __future__ import annotations

from regionsok.errors import RegionsokError


class CrawlError(RegionsokError):
    """The crawl could not be run, or its process died before writing a report."""
