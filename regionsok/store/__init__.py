"""The store: the one home of Regionsök's schema and SQL, on SQLite or PostgreSQL.

By default one SQLite file under the data directory (``settings.db_path``), in WAL mode so
readers (the API) never block the writer (the nightly job). With ``REGIONSOK_STORE_URL``
(``postgresql://…``) the same tables live in PostgreSQL, shared by any number of machines
(regionsok.store.postgres holds what differs). Every multi-row write happens inside
``with store.transaction():`` — a process killed at any point leaves the last committed
state. SQL is grouped by area in mixins: ``pages`` (crawler), ``documents`` (ingest,
versions, extractions, facets, runs), ``chunks`` (search), ``queries`` (API reads).
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal

from regionsok.errors import StoreError
from regionsok.store import postgres
from regionsok.store.chunks import ChunkTables
from regionsok.store.documents import DocumentTables
from regionsok.store.pages import PageTables
from regionsok.store.queries import Connection, ReadQueries
from regionsok.store.schema import MIGRATIONS, PG_MIGRATIONS
from regionsok.timefmt import utcnow  # re-exported: timestamps are ISO-8601 UTC strings

SCHEMA_VERSION = len(MIGRATIONS)

Backend = Literal["sqlite", "postgresql"]


class Store(PageTables, DocumentTables, ChunkTables, ReadQueries):
    """A connection to the store. Not shared across threads; open one per thread/process."""

    def __init__(self, conn: Connection, location: str, backend: Backend = "sqlite") -> None:
        self.conn = conn
        self.location = location  # for messages: the file, or the URL without its password
        self.backend: Backend = backend
        self._begin = "BEGIN IMMEDIATE" if backend == "sqlite" else postgres.BEGIN_WRITE
        self._depth = 0
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at ``path``.

        ``path`` is a SQLite file or a ``postgresql://`` URL. The settings' ``db_path`` stands
        for the configured store: with ``store_url`` set it opens that PostgreSQL database,
        so every caller passing ``settings.db_path`` follows the setting.
        """
        url = _configured_url(path)
        if url is not None:
            return cls._open_postgres(url, readonly=readonly)
        path = Path(path)
        try:
            if readonly:
                conn = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
                )
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(path, isolation_level=None, timeout=30, check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 30000")
            if not readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as err:
            raise StoreError(f"cannot open store {path}: {err}") from err
        store = cls(conn, str(path))
        if not readonly:
            store._migrate()
        return store

    @classmethod
    def _open_postgres(cls, url: str, *, readonly: bool) -> Store:
        conn = postgres.connect(url, readonly=readonly)
        store = cls(conn, postgres.redacted(url), "postgresql")
        try:
            if readonly:
                current = postgres.schema_version(conn)
                if current != SCHEMA_VERSION:
                    raise StoreError(f"{store.location} has schema version {current}, this Regionsök "
                                     f"reads {SCHEMA_VERSION}: open it once for writing to migrate it")
            else:
                postgres.migrate(conn, PG_MIGRATIONS, store.location)
        except BaseException:
            conn.close()
            raise
        return store

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.location} has schema version {current}, newer than this Regionsök ({SCHEMA_VERSION})"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                # Another process opening the same new store (a second crawl worker) may
                # have applied this migration while we waited for the write lock.
                if self.conn.execute("PRAGMA user_version").fetchone()[0] >= version:
                    self.conn.execute("COMMIT")
                    continue
                for statement in _split_sql(MIGRATIONS[version - 1]):
                    self.conn.execute(statement)
                self.conn.execute(f"PRAGMA user_version = {version}")
                self.conn.execute("COMMIT")
            except sqlite3.Error as err:
                self.conn.execute("ROLLBACK")
                raise StoreError(f"migration {version} failed on {self.location}: {err}") from err

    @contextmanager
    def transaction(self) -> Iterator[Connection]:
        """An atomic unit of writes (nested calls join the outer transaction).

        One writer at a time on either backend (SQLite's write lock; PostgreSQL's advisory
        writer lock): a read-modify-write inside sees no other writer's rows appear meanwhile.
        """
        with self._lock:
            if self._depth == 0:
                self.conn.execute(self._begin)
            self._depth += 1
            try:
                yield self.conn
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self.conn.execute("ROLLBACK")
                raise
            else:
                self._depth -= 1
                if self._depth == 0:
                    self.conn.execute("COMMIT")

    def change_marker(self) -> tuple[object, ...]:
        """Something that changes with every commit to the store (readers use it to see that
        their cached views are stale): SQLite's file and WAL (mtime, size) — every commit in
        WAL mode writes the WAL —, PostgreSQL's WAL insert position."""
        if self.backend == "postgresql":
            return (self.conn.execute("SELECT pg_current_wal_insert_lsn()::text").fetchone()[0],)
        marker: list[object] = []
        for path in (Path(self.location), Path(self.location + "-wal")):
            try:
                status = path.stat()
            except OSError:
                marker.append(None)
            else:
                marker.append((status.st_mtime_ns, status.st_size))
        return tuple(marker)

    def get_meta(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows about triggers)."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements


def _configured_url(path: Path | str) -> str | None:
    """The PostgreSQL URL ``path`` stands for, or None for a SQLite file."""
    if postgres.is_postgres_url(path):
        return str(path)
    from regionsok.settings import get_settings

    settings = get_settings()
    if settings.store_url and os.path.abspath(path) == os.path.abspath(settings.db_path):
        return settings.store_url
    return None


def open_store(path: Path | str | None = None, *, readonly: bool = False) -> Store:
    """Open the store of the current settings (or at ``path``: a file or a PostgreSQL URL)."""
    if path is None:
        from regionsok.settings import get_settings

        path = get_settings().db_path
    return Store.open(path, readonly=readonly)


__all__ = ["Store", "open_store", "utcnow", "SCHEMA_VERSION", "Backend"]
