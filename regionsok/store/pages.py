"""Store SQL for fetched pages: what the crawler (and file ingest) saw, raw bodies kept.

A page is keyed by its requested URL. ``sha256`` is the body hash; the ingest stage
processes a page when ``ingested_sha256`` differs from it, so an unchanged body costs
nothing downstream.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Literal

from regionsok.records import FetchedPage
from regionsok.store.queries import Connection, Row
from regionsok.timefmt import TIMESTAMP_FORMAT, parse_timestamp, utcnow

PageChange = Literal["new", "changed", "unchanged"]



class PageTables:
    conn: Connection
    backend: Literal["sqlite", "postgresql"]

    def transaction(self) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    def get_page_meta(self, url: str) -> Row | None:
        """What we know of a URL for a conditional request (no body)."""
        return self.conn.execute(
            "SELECT url, final_url, etag, last_modified, sha256, status, removed_at, doc_id, "
            "fetched_at, checked_at, error, ingested_sha256 FROM pages WHERE url = ?",
            (url,),
        ).fetchone()

    def save_fetched(self, page: FetchedPage, *, listing: bool = False) -> PageChange:
        """Store a fetched body; 'unchanged' when its hash equals the stored one.

        ``listing``: a page the crawler follows but that is no document (see :meth:`save_listing`).
        A listing that has become a document (or back) is processed again by ingest.
        """
        now = utcnow()
        fetched_at = page.fetched_at.strftime(TIMESTAMP_FORMAT) if page.fetched_at else now
        sha = page.sha256
        with self.transaction():
            row = self.conn.execute("SELECT sha256, listing FROM pages WHERE url = ?", (page.url,)).fetchone()
            if row is not None and row["sha256"] == sha:
                self.conn.execute(
                    "UPDATE pages SET checked_at = ?, status = ?, etag = COALESCE(?, etag), "
                    "last_modified = COALESCE(?, last_modified), removed_at = NULL, "
                    "requested_url = COALESCE(?, requested_url), listing = ?, "
                    "ingested_sha256 = CASE WHEN listing = ? THEN ingested_sha256 END WHERE url = ?",
                    (now, page.status, page.etag, page.last_modified, page.requested_url, int(listing),
                     int(listing), page.url),
                )
                return "unchanged"
            self.conn.execute(
                """
                INSERT INTO pages (url, final_url, source, county_code, kind_hint, status, etag,
                    last_modified, content_type, sha256, body, title_hint, published_hint,
                    fetched_at, checked_at, removed_at, listing, requested_url)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)
                ON CONFLICT(url) DO UPDATE SET
                    final_url = excluded.final_url, source = excluded.source,
                    county_code = excluded.county_code, kind_hint = excluded.kind_hint,
                    status = excluded.status, etag = excluded.etag,
                    last_modified = excluded.last_modified, content_type = excluded.content_type,
                    sha256 = excluded.sha256, body = excluded.body, title_hint = excluded.title_hint,
                    published_hint = excluded.published_hint, fetched_at = excluded.fetched_at,
                    checked_at = excluded.checked_at, removed_at = NULL, error = NULL,
                    listing = excluded.listing, requested_url = COALESCE(excluded.requested_url, pages.requested_url)
                """,
                (
                    page.url,
                    page.final_url or page.url,
                    page.source,
                    page.county_code,
                    page.kind_hint,
                    page.status,
                    page.etag,
                    page.last_modified,
                    page.content_type,
                    sha,
                    zlib.compress(page.body, 6),
                    page.title_hint,
                    page.published_hint,
                    fetched_at,
                    now,
                    int(listing),
                    page.requested_url,
                ),
            )
            return "new" if row is None else "changed"

    def touch_not_modified(self, url: str) -> None:
        """A 304: the page is as we have it; only the check time moves."""
        with self.transaction():
            self.conn.execute(
                "UPDATE pages SET checked_at = ?, removed_at = NULL WHERE url = ?", (utcnow(), url)
            )

    def mark_removed(self, url: str, status: int) -> bool:
        """A 404/410: mark the page and its document removed (kept, never deleted)."""
        now = utcnow()
        with self.transaction():
            row = self.conn.execute(
                "SELECT doc_id, removed_at FROM pages WHERE url = ?", (url,)
            ).fetchone()
            if row is None or row["removed_at"] is not None:
                return False
            self.conn.execute(
                "UPDATE pages SET removed_at = ?, checked_at = ?, status = ? WHERE url = ?",
                (now, now, status, url),
            )
            if row["doc_id"]:
                # The document goes only when none of its other URLs is still live.
                live = self.conn.execute(
                    "SELECT 1 FROM pages WHERE doc_id = ? AND removed_at IS NULL LIMIT 1",
                    (row["doc_id"],),
                ).fetchone()
                if live is None:
                    self.conn.execute(
                        "UPDATE documents SET removed_at = ? WHERE doc_id = ? AND removed_at IS NULL",
                        (now, row["doc_id"]),
                    )
            return True

    def pages_to_ingest(self) -> Iterator[FetchedPage]:
        """Pages whose current body the ingest stage has not processed yet."""
        urls = [
            r[0]
            for r in self.conn.execute(
                "SELECT url FROM pages WHERE removed_at IS NULL AND status < 400 AND listing = 0 "
                "AND (ingested_sha256 IS NULL OR ingested_sha256 != sha256) ORDER BY url"
            )
        ]
        for url in urls:
            page = self.load_page(url)
            if page is not None:
                yield page

    def count_pages_to_ingest(self) -> int:
        return self.conn.execute(
            "SELECT count(*) FROM pages WHERE removed_at IS NULL AND status < 400 AND listing = 0 "
            "AND (ingested_sha256 IS NULL OR ingested_sha256 != sha256)"
        ).fetchone()[0]

    def load_page(self, url: str) -> FetchedPage | None:
        """A stored page with its body decompressed."""
        row = self.conn.execute("SELECT * FROM pages WHERE url = ?", (url,)).fetchone()
        if row is None:
            return None
        return FetchedPage(
            url=row["url"],
            body=zlib.decompress(row["body"]) if row["body"] is not None else b"",
            content_type=row["content_type"] or "",
            final_url=row["final_url"],
            status=row["status"],
            etag=row["etag"],
            last_modified=row["last_modified"],
            fetched_at=parse_timestamp(row["fetched_at"]),
            source=row["source"],
            county_code=row["county_code"],
            kind_hint=row["kind_hint"],
            title_hint=row["title_hint"],
            published_hint=row["published_hint"],
            requested_url=row["requested_url"],
        )

    def mark_page_ingested(
        self, url: str, sha256: str, doc_id: str | None, error: str | None = None
    ) -> None:
        """Record that ingest processed this body (into ``doc_id``, or rejected with ``error``)."""
        self.conn.execute(
            "UPDATE pages SET ingested_sha256 = ?, doc_id = ?, error = ? WHERE url = ?",
            (sha256, doc_id, error, url),
        )

    # -- added for the crawler (issue 5) ---------------------------------------------------

    def save_listing(self, page: FetchedPage) -> PageChange:
        """Store a page the crawler follows but that is not a document (a listing, an alias).

        Kept for its ETag / Last-Modified (next crawl asks conditionally) with ``listing`` set,
        so the ingest stage never turns it into a document.
        """
        with self.transaction():
            change = self.save_fetched(page, listing=True)
            self.mark_page_ingested(page.url, page.sha256, None)
        return change

    def known_pages(self, source: str) -> list[Row]:
        """A source's live pages for the next crawl: ``url, etag, last_modified, checked_at,
        listing`` (1 for pages stored with :meth:`save_listing`)."""
        return self.conn.execute(
            "SELECT url, etag, last_modified, checked_at, listing FROM pages "
            "WHERE source = ? AND removed_at IS NULL ORDER BY url",
            (source,),
        ).fetchall()
