"""The store behaves the same on SQLite and on PostgreSQL: same schema, same records, same guarantees.

Every test here runs against a real PostgreSQL (pgserver, started once per session) as well
as a SQLite file; the ones that compare the two open one store of each.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from regionsok.errors import StoreError
from regionsok.records import Chunk, Document, Extraction, FetchedPage, Person
from regionsok.store import SCHEMA_VERSION, Store, open_store
from regionsok.store.chunks import NewChunk

TEXT = (
    "Region Östergötland och länets kommuner tecknar en överenskommelse om stöd till personer "
    "med spelberoende. – Vi måste nå fler, säger Åsa Ek (S), regionråd."
)


FETCHED = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)


def _doc(n: int, text: str = TEXT, published: date | None = date(2025, 3, 1)) -> Document:
    return Document(doc_id=f"d{n}", url=f"https://region.example.se/nyheter/{n}", title=f"Nyhet {n}",
                    text=f"{text} ({n})", language="sv", kind="press_release", published=published,
                    county_code="05", source="rog")


def _chunk(doc_id: str, vec_id: int, ordinal: int = 0) -> NewChunk:
    return NewChunk(vec_id=vec_id, chunk=Chunk(chunk_id=f"{doc_id}:{ordinal}", doc_id=doc_id,
                                              ordinal=ordinal, text=f"text {ordinal}"), norm="text")


@pytest.fixture()
def store(store_location: str):  # type: ignore[no-untyped-def]
    with Store.open(store_location) as opened:
        yield opened


def test_a_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        store.upsert_document(_doc(1))
        raise RuntimeError("killed half-way")
    assert list(store.iter_documents()) == []
    assert store.stats()["versions"] == 0


def test_a_nested_transaction_joins_the_outer_one(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction():
        with store.transaction():
            store.upsert_document(_doc(1))  # the inner block ends without error ...
        raise RuntimeError("... but the outer one fails")
    assert list(store.iter_documents()) == []
    store.upsert_document(_doc(2))
    assert [d["doc_id"] for d in store.iter_documents()] == ["d2"]


def test_a_vec_id_is_never_reused_after_the_top_chunks_are_deleted(store: Store) -> None:
    store.upsert_document(_doc(1))
    first = store.next_vec_id()
    with store.transaction():
        store.replace_document_chunks("d1", [], [_chunk("d1", first), _chunk("d1", first + 1, 1)])
    assert store.next_vec_id() == first + 2
    with store.transaction():
        store.replace_document_chunks("d1", [], [])
    assert store.chunk_count() == 0
    assert store.next_vec_id() == first + 2


def test_reopening_a_store_keeps_its_data_and_applies_no_migration_again(store_location: str) -> None:
    with Store.open(store_location) as store:
        store.upsert_document(_doc(1))
        store.set_meta("index_version", "7")
    with Store.open(store_location) as store:
        assert [d["doc_id"] for d in store.iter_documents()] == ["d1"]
        assert store.get_meta("index_version") == "7"
        store.set_meta("index_version", "8")
        assert store.get_meta("index_version") == "8"


def test_a_store_of_a_newer_regionsok_is_refused(store_location: str) -> None:
    with Store.open(store_location) as store:
        if store.backend == "postgresql":
            store.conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION + 1,))
        else:
            store.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer than this Regionsök"):
        Store.open(store_location)


def test_a_read_only_store_reads_and_refuses_writes(store_location: str) -> None:
    import psycopg

    with Store.open(store_location) as store:
        store.upsert_document(_doc(1))
    with Store.open(store_location, readonly=True) as reader:
        assert reader.live_document_count() == 1
        with pytest.raises((sqlite3.OperationalError, psycopg.errors.ReadOnlySqlTransaction)):
            reader.set_meta("k", "v")


def _everything(store: Store) -> dict[str, Any]:
    """What the store's methods return, with the write times (which differ run to run) left out."""
    moments = {"first_seen", "last_changed", "created_at", "fetched_at", "checked_at", "at", "removed_at"}

    def plain(row: Any) -> dict[str, Any]:
        return {k: row[k] for k in row.keys() if k not in moments}

    ids = [d["doc_id"] for d in store.iter_documents(include_removed=True)]
    return {
        "documents": [plain(d) for d in store.iter_documents(include_removed=True)],
        "live": [d["doc_id"] for d in store.iter_documents()],
        "versions": {i: [plain(v) for v in store.document_versions(i)] for i in ids},
        "urls": {i: store.document_urls(i) for i in ids},
        "extractions": {i: store.get_extraction(i) for i in ids},
        "briefs": store.document_briefs(ids),
        "facets": store.facet_counts(),
        "people": [tuple(r) for r in store.facet_values("person")],
        "with_facet": store.docs_with_facet("party", ["s"]),
        "stats": store.stats(),
        "needing_extraction": store.documents_needing_extraction("v2"),
        "to_index": store.documents_to_index(),
        "to_unindex": store.documents_to_unindex(),
        "pages": [plain(p) for p in store.known_pages("rog")],
        "page": store.load_page("https://region.example.se/sida"),
        "to_ingest": store.count_pages_to_ingest(),
        "errors": [plain(e) for e in store.ingest_errors()],
        "run": store.last_run("index"),
        "chunks": store.chunk_rows([1, 2, 3]),
        "chunk_texts": store.chunk_texts([3, 1]),
        "vectors": store.cached_vectors("e5", ["a", "b"]),
        "next_vec_id": store.next_vec_id(),
    }


def _a_day_of_work(store: Store) -> None:
    for n in (3, 1, 2):
        store.upsert_document(_doc(n, published=None if n == 2 else date(2025, 3, n)))
    store.upsert_document(_doc(1, text=TEXT + " Ändrad."))  # version 2
    store.upsert_document(replace(_doc(3), doc_id="x", url="https://kopia.example.se/3"))  # a duplicate
    extraction = Extraction(kind="agreement", pipeline_version="v1", counties=("05",),
                            organisations=("Region Östergötland",), people=(Person(name="Åsa Ek", party="S"),),
                            focus_areas=("spel",))
    for doc_id in ("d1", "d3"):
        doc = store.get_document(doc_id)
        assert doc is not None
        store.save_extraction(doc_id, doc["sha256"], extraction)
    store.save_fetched(FetchedPage(url="https://region.example.se/sida", body=b"<html>sida</html>",
                                   content_type="text/html", source="rog", etag='"1"', fetched_at=FETCHED))
    store.save_listing(FetchedPage(url="https://region.example.se/lista", body=b"<html>lista</html>",
                                   content_type="text/html", source="rog"))
    store.record_error("https://region.example.se/trasig.pdf", "encrypted PDF")
    with store.transaction():
        store.replace_document_chunks("d1", [], [_chunk("d1", 1), _chunk("d1", 2, 1)])
        store.replace_document_chunks("d3", [], [_chunk("d3", 3)])
        store.set_indexed_sha256("d1", "old")
    store.cache_vectors("e5", [("a", b"\x00\x01"), ("a", b"\x00\x02")])
    store.save_run("r1", "index", "2025-03-01T00:00:00Z", None, None, {"stage": "embed"})
    store.save_run("r1", "index", "2025-03-01T00:00:00Z", "2025-03-01T00:10:00Z", True, {"chunks": 3})
    store.save_fetched(FetchedPage(url="https://region.example.se/borta", body=b"x", content_type="text/html",
                                   source="rog"))
    store.mark_page_ingested("https://region.example.se/borta", "sha", "d2")
    store.mark_removed("https://region.example.se/borta", 404)


def test_both_backends_return_the_same_records_after_the_same_work(tmp_path: Path, postgres_url: str) -> None:
    with Store.open(tmp_path / "regionsok.sqlite3") as lite, Store.open(postgres_url) as pg:
        _a_day_of_work(lite)
        _a_day_of_work(pg)
        assert _everything(pg) == _everything(lite)


def test_schemas_of_both_backends_have_the_same_tables_and_columns(tmp_path: Path, postgres_url: str) -> None:
    with Store.open(tmp_path / "regionsok.sqlite3") as lite, Store.open(postgres_url) as pg:
        tables = [r[0] for r in lite.conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'chunks_fts%' "
            "AND name != 'sqlite_sequence' ORDER BY name")]
        lite_columns = {t: [r[1] for r in lite.conn.execute(f"PRAGMA table_info({t})")] for t in tables}
        pg_columns: dict[str, list[str]] = {}
        for table, column in pg.conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
            "AND table_name != 'schema_version' ORDER BY table_name, ordinal_position"
        ):
            pg_columns.setdefault(table, []).append(column)
        assert pg_columns == lite_columns


def test_the_store_url_setting_puts_the_data_dirs_store_in_postgres(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from regionsok.settings import get_settings

    monkeypatch.setenv("REGIONSOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGIONSOK_STORE_URL", postgres_url)
    get_settings.cache_clear()
    with open_store() as store:
        store.upsert_document(_doc(1))
        assert store.backend == "postgresql"
    with Store.open(get_settings().db_path) as again:  # how most callers open it
        assert [d["doc_id"] for d in again.iter_documents()] == ["d1"]
    assert not get_settings().db_path.exists()
    get_settings.cache_clear()


def test_writers_on_two_connections_never_store_a_document_twice(postgres_url: str) -> None:
    """Two processes ingesting the same pages at once (the shared-store case) agree on each one."""
    Store.open(postgres_url).close()  # migrated once, before the race
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def ingest() -> None:
        try:
            with Store.open(postgres_url) as store:
                outcomes.extend(store.upsert_document(_doc(n))[0] for n in range(30))
        except BaseException as err:  # reported by the assertion below
            errors.append(err)

    workers = [threading.Thread(target=ingest) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(outcomes).count("new") == 30 and outcomes.count("unchanged") == 30
    with Store.open(postgres_url) as store:
        assert store.stats()["documents"] == 30 and store.stats()["versions"] == 30


def test_a_record_with_nul_characters_is_rejected_with_its_reason_on_either_backend(
    store: Store, tmp_path: Path
) -> None:
    # PostgreSQL text cannot hold U+0000: the page (its title hint has one) must still be stored.
    from ingest.pipeline import ingest_jsonl

    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps({"url": "https://region.example.se/nul", "title": "Rubrik\u0000",
                                 "text": f"{TEXT}\u0000 " * 5}) + "\n", encoding="utf-8")
    report = ingest_jsonl(store, batch)
    assert [r.reason for r in report.failed] == ["not text: binary content in a file treated as text"]
    assert list(store.iter_documents()) == []
