"""The one item the spiders yield: what a request for a page came back as.

Spiders stay free of storage: they say *what happened* to a URL, and the pipelines decide
what that means for the store (see :mod:`crawler.pipelines`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

PageEvent = Literal["fetched", "not_modified", "gone"]


@dataclass(slots=True)
class PageItem:
    """A 200 with a body (``fetched``), a 304 (``not_modified``) or a 404/410 (``gone``)."""

    event: PageEvent
    url: str  # canonical URL after redirects: the store key
    status: int
    body: bytes = b""
    content_type: str = ""
    etag: str | None = None
    last_modified: str | None = None
    title_hint: str | None = None
    published_hint: str | None = None
    # A page that is followed but not a document: a start page, a paging or filter page, or
    # an alias whose rel="canonical" names another URL. Stored (for its validators), never ingested.
    listing: bool = False
    # The (canonical) address first requested, when redirects led to ``url``.
    requested_url: str | None = None


@dataclass(frozen=True, slots=True)
class KnownPage:
    """What the store knows of a URL before a crawl: validators, last check, listing or document."""

    etag: str | None
    last_modified: str | None
    checked_at: datetime
    listing: bool
