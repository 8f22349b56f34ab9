"""A long-lived process keeps its PostgreSQL store across a database restart.

bench/cluster.py found it: after PostgreSQL was killed and started again, an API replica
answered every request with "the connection is closed" until it was restarted itself. Here
the server drops the store's connection (what a restart or fail-over does to every client).
"""

from __future__ import annotations

import time
from datetime import date

import psycopg
import pytest

from regionsok.records import Document
from regionsok.store import Store


def _doc(n: int) -> Document:
    return Document(doc_id=f"d{n}", url=f"https://region.example.se/nyheter/{n}", title=f"Nyhet {n}",
                    text=f"Region Östergötland satsar på psykisk hälsa ({n}).", language="sv",
                    kind="press_release", published=date(2025, 3, 1), county_code="05", source="rog")


def _drop_connection(store: Store, url: str) -> None:
    """Terminate the store's server process, as a restart would, and wait until it is gone."""
    pid = store.conn.execute("SELECT pg_backend_pid()").fetchone()[0]
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        deadline = time.monotonic() + 30
        while admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone()[0]:
            assert time.monotonic() < deadline, "the backend did not end"
            time.sleep(0.05)  # polling for the terminated backend to exit


def test_reads_and_writes_carry_on_after_the_server_dropped_the_connection(postgres_url: str) -> None:
    with Store.open(postgres_url) as store:
        store.upsert_document(_doc(1))
        _drop_connection(store, postgres_url)

        assert store.live_document_count() == 1, "a read is asked again on a new connection"
        store.upsert_document(_doc(2))
        assert store.live_document_count() == 2


def test_a_transaction_that_lost_its_connection_fails_whole_and_the_next_one_works(postgres_url: str) -> None:
    with Store.open(postgres_url) as store:
        store.upsert_document(_doc(1))
        with pytest.raises(psycopg.OperationalError), store.transaction():
            store.upsert_document(_doc(2))
            _drop_connection(store, postgres_url)
            store.upsert_document(_doc(3))  # never half-applied on a fresh connection

        assert store.live_document_count() == 1, "the server rolled the whole transaction back"
        store.upsert_document(_doc(4))
        assert store.live_document_count() == 2
