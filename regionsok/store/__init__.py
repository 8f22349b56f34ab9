"""The SQLite store: the one home of Regionsök's schema and SQL.

One file under the data directory (``settings.db_path``), in WAL mode so readers (the
API) never block the writer (the nightly job). Every multi-row write happens inside
``with store.transaction():`` — a process killed at any point leaves the last committed
state. SQL is grouped by area in mixins: ``pages`` (crawler), ``documents`` (ingest,
versions, extractions, facets, runs), ``chunks`` (search), ``queries`` (API reads).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from regionsok.errors import StoreError
from regionsok.store.chunks import ChunkTables
from regionsok.store.documents import DocumentTables
from regionsok.store.pages import PageTables
from regionsok.store.queries import ReadQueries
from regionsok.store.schema import MIGRATIONS
from regionsok.timefmt import utcnow  # re-exported: timestamps are ISO-8601 UTC strings

SCHEMA_VERSION = len(MIGRATIONS)


class Store(PageTables, DocumentTables, ChunkTables, ReadQueries):
    """A connection to the store. Not shared across threads; open one per thread/process."""

    def __init__(self, conn: sqlite3.Connection, path: Path) -> None:
        self.conn = conn
        self.path = path
        self._depth = 0
        self._lock = threading.RLock()

    @classmethod
    def open(cls, path: Path | str, *, readonly: bool = False) -> Store:
        """Open (creating and migrating if needed) the store at ``path``."""
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
        store = cls(conn, path)
        if not readonly:
            store._migrate()
        return store

    def _migrate(self) -> None:
        current = self.conn.execute("PRAGMA user_version").fetchone()[0]
        if current > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {current}, newer than this Regionsök ({SCHEMA_VERSION})"
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
                raise StoreError(f"migration {version} failed on {self.path}: {err}") from err

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """An atomic unit of writes (nested calls join the outer transaction)."""
        with self._lock:
            if self._depth == 0:
                self.conn.execute("BEGIN IMMEDIATE")
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


def open_store(path: Path | str | None = None, *, readonly: bool = False) -> Store:
    """Open the store of the current settings (or at ``path``)."""
    if path is None:
        from regionsok.settings import get_settings

        path = get_settings().db_path
    return Store.open(path, readonly=readonly)


__all__ = ["Store", "open_store", "utcnow", "SCHEMA_VERSION"]
