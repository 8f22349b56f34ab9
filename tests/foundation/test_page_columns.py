"""What the crawler knows of a page is kept in columns: listing pages and redirected addresses.

A listing (followed, never a document) is a flag, not a text in ``error``; the address
first asked for before a redirect is kept, so the document answers to both; a store from
before migration 3 keeps its listings as listings.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ingest.pipeline import ingest_pending_pages
from regionsok.records import FetchedPage
from regionsok.store import Store
from regionsok.store.schema import MIGRATIONS

ARTICLE = (
    "<html><head><title>Ny samverkan om spelberoende</title></head><body><article>"
    "<h1>Ny samverkan om spelberoende</h1>"
    "<p>Region Jönköpings län och länets kommuner tecknar en överenskommelse om stöd till "
    "personer med spelberoende och deras anhöriga. Arbetet börjar i januari.</p>"
    "</article></body></html>"
).encode()


def test_a_redirected_page_is_one_document_that_answers_to_both_addresses(store_location: str) -> None:
    with Store.open(store_location) as store:
        store.save_fetched(FetchedPage(
            url="https://www.rjl.se/nyheter/spel", body=ARTICLE, content_type="text/html",
            requested_url="https://www.lj.se/gammal/nyhet-spel", source="rjl", county_code="06",
        ))
        assert not ingest_pending_pages(store).failed
        (doc,) = list(store.iter_documents())
        assert doc["url"] == "https://www.rjl.se/nyheter/spel"
        assert set(store.document_urls(doc["doc_id"])) == {"https://www.rjl.se/nyheter/spel",
                                                            "https://www.lj.se/gammal/nyhet-spel"}


def test_a_listing_is_never_ingested_and_a_listing_that_becomes_a_document_is(store_location: str) -> None:
    page = FetchedPage(url="https://www.rjl.se/nyheter/", body=ARTICLE, content_type="text/html", source="rjl")
    with Store.open(store_location) as store:
        store.save_listing(page)
        assert [bool(r["listing"]) for r in store.known_pages("rjl")] == [True]
        assert store.count_pages_to_ingest() == 0
        assert ingest_pending_pages(store).new == 0
        # The same body, now judged a document (the site's layout changed): ingest takes it.
        assert store.save_fetched(page) == "unchanged"
        assert [bool(r["listing"]) for r in store.known_pages("rjl")] == [False]
        assert ingest_pending_pages(store).new == 1


def test_listings_of_a_store_before_migration_3_stay_listings(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    for migration in MIGRATIONS[:2]:
        conn.executescript(migration)
    conn.execute("PRAGMA user_version = 2")
    conn.execute(
        "INSERT INTO pages (url, source, status, sha256, fetched_at, checked_at, ingested_sha256, error) "
        "VALUES ('https://a.se/nyheter/', 'a', 200, 'x', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z', 'x', "
        "'listing page: followed by the crawler, not a document')"
    )
    conn.commit()
    conn.close()
    with Store.open(path) as store:
        (row,) = store.known_pages("a")
        assert row["listing"] == 1
        assert store.conn.execute("SELECT error FROM pages").fetchone()[0] is None
