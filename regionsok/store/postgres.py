"""The PostgreSQL side of the store: a connection that speaks the mixins' SQLite-flavoured SQL.

The mixins' SQL is written once, in the common subset of both dialects (``ON CONFLICT``
upserts, ``NULLS FIRST``, ``listing = 0``); what still differs sits here, in schema.py's
``PG_MIGRATIONS`` and in the few ``store.backend`` branches of chunks.py:

- placeholders: ``?`` becomes ``%s`` (and a literal ``%`` becomes ``%%``);
- rows: :class:`PgRow` is indexable by position and by column name, like ``sqlite3.Row``;
- ``total_changes``: rows changed by INSERT/UPDATE/DELETE since the connection opened;
- text: a NUL character, which PostgreSQL text cannot hold, is stored as U+FFFD;
- the schema version: a one-row ``schema_version`` table instead of ``PRAGMA user_version``;
- the write lock: ``BEGIN IMMEDIATE`` (one writer at a time, readers never blocked) becomes
  ``BEGIN`` plus a transaction-scoped advisory lock, so a read-modify-write such as
  ``upsert_document`` is exactly as safe across processes as on SQLite.

One difference stays: a failed statement inside ``store.transaction()`` aborts the whole
PostgreSQL transaction (SQLite fails only that statement), so code that catches a database
error there and carries on would fail at the next statement. The store's callers catch no
database errors inside a transaction.

psycopg is imported only when a PostgreSQL store is opened: the embedded default never loads it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from regionsok.errors import StoreError
from regionsok.settings import redacted

if TYPE_CHECKING:
    import psycopg

#: URL schemes that name a PostgreSQL store (libpq accepts both).
SCHEMES = ("postgresql://", "postgres://")

#: The key of the advisory lock every write transaction holds (any constant bigint would do;
#: this one is the ASCII bytes of "regionso", so an operator spotting it in pg_locks knows whose).
#: Advisory locks are per database: two stores in two databases never wait for each other.
WRITER_LOCK = 0x7265_6769_6F6E_736F

BEGIN_WRITE = f"BEGIN; SELECT pg_advisory_xact_lock({WRITER_LOCK})"

SCHEMA_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    only_row BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (only_row),
    version  INTEGER NOT NULL
)
"""


def is_postgres_url(target: object) -> bool:
    return isinstance(target, str) and target.startswith(SCHEMES)


@lru_cache(maxsize=1024)
def translate(sql: str) -> str:
    """SQLite placeholders to psycopg's: ``?`` → ``%s``, a literal ``%`` → ``%%``.

    The store's SQL never holds a ``?`` inside a string literal, so a plain replace is exact.
    """
    return sql.replace("%", "%%").replace("?", "%s")


class PgRow(tuple[Any, ...]):
    """A result row readable as ``row[0]`` and ``row["name"]`` (what the mixins ask of sqlite3.Row)."""

    __slots__ = ()
    _columns: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            try:
                key = self._index[key]
            except KeyError:
                raise IndexError(f"no such column: {key}") from None
        return tuple.__getitem__(self, key)

    def keys(self) -> list[str]:
        return list(self._columns)


@lru_cache(maxsize=256)
def _row_class(columns: tuple[str, ...]) -> type[PgRow]:
    return type("PgRow", (PgRow,), {"__slots__": (), "_columns": columns,
                                     "_index": {name: i for i, name in enumerate(columns)}})


def _row_factory(cursor: Any) -> Any:
    if cursor.description is None:
        return tuple
    cls = _row_class(tuple(column.name for column in cursor.description))
    return lambda values: cls(values)


def _storable(parameters: Sequence[Any]) -> tuple[Any, ...]:
    """Parameters PostgreSQL accepts: its text cannot hold U+0000, which SQLite's can.

    A NUL reaches the store only in what a source sent as hints (a JSON Lines title, say;
    texts with NULs are rejected as binary by ingest), so it is kept as U+FFFD, the
    replacement character, instead of failing the whole write.
    """
    return tuple(p.replace("\x00", "\ufffd") if isinstance(p, str) and "\x00" in p else p for p in parameters)


_DML = re.compile(r"^(INSERT|UPDATE|DELETE) ")
_READ = re.compile(r"^\s*SELECT\b", re.IGNORECASE)


class PgConnection:
    """A psycopg connection in autocommit mode, answering the calls the store makes of sqlite3's.

    Outside ``Store.transaction()`` every statement commits on its own, as with sqlite3's
    ``isolation_level=None``; inside it the store sends ``BEGIN`` and ``COMMIT`` itself.

    A connection the server dropped (PostgreSQL restarted or failed over) is opened again
    before the next statement outside a transaction, and a read that found it dropped is
    asked once more on the new one: a long-lived process (an API replica) carries on once
    the database is back. Inside a transaction nothing is retried: the server rolled it
    back, so the error reaches the caller, and the next statement starts afresh.
    """

    def __init__(self, conn: psycopg.Connection[Any],
                 reopen: Callable[[], psycopg.Connection[Any]] | None = None) -> None:
        import psycopg

        self._conn = conn
        self._reopen = reopen
        self._lost_error = psycopg.OperationalError
        self._in_transaction = False
        self.total_changes = 0

    def _reopen_if_lost(self) -> None:
        if self._reopen is not None and not self._in_transaction and (self._conn.closed or self._conn.broken):
            self._conn = self._reopen()

    def _send(self, sql: str, parameters: Sequence[Any]) -> psycopg.Cursor[Any]:
        # Without parameters the text goes as is (several statements allowed, ``%`` literal).
        if parameters:
            return self._conn.execute(translate(sql), _storable(parameters))
        return self._conn.execute(sql)

    def execute(self, sql: str, parameters: Sequence[Any] = ()) -> psycopg.Cursor[Any]:
        self._reopen_if_lost()
        ends = sql.startswith(("COMMIT", "ROLLBACK"))
        try:
            cursor = self._send(sql, parameters)
        except self._lost_error:
            if self._in_transaction or not _READ.match(sql) or not (self._conn.closed or self._conn.broken):
                raise
            self._reopen_if_lost()  # a read changes nothing: asking it again is safe
            cursor = self._send(sql, parameters)
        finally:
            if ends:
                self._in_transaction = False
        if sql.startswith("BEGIN"):
            self._in_transaction = True
        if cursor.rowcount > 0 and _DML.match(cursor.statusmessage or ""):
            self.total_changes += cursor.rowcount
        return cursor

    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]]) -> psycopg.Cursor[Any]:
        self._reopen_if_lost()
        cursor = self._conn.cursor()
        cursor.executemany(translate(sql), [_storable(p) for p in seq_of_parameters])
        self.total_changes += max(cursor.rowcount, 0)
        return cursor

    def close(self) -> None:
        self._conn.close()


def connect(url: str, *, readonly: bool) -> PgConnection:
    """A connection to the PostgreSQL store at ``url`` (read-only sessions refuse every write)."""
    try:
        import psycopg
    except ImportError as err:  # pragma: no cover - psycopg is a dependency
        raise StoreError("a PostgreSQL store needs psycopg: pip install 'psycopg[binary]'") from err

    def open_connection() -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(url, autocommit=True, row_factory=_row_factory, connect_timeout=30)
            if readonly:
                # A session setting, not the URL's ``options`` (which stay the operator's).
                conn.execute("SET default_transaction_read_only = on")
        except psycopg.Error as err:
            raise StoreError(f"cannot open store {redacted(url)}: {err}") from err
        return conn

    return PgConnection(open_connection(), reopen=open_connection)


def schema_version(conn: PgConnection) -> int:
    """The migrations applied so far (0 for an empty database)."""
    exists = conn.execute("SELECT to_regclass('schema_version') IS NOT NULL").fetchone()
    if not (exists and exists[0]):
        return 0
    row = conn.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(conn: PgConnection, migrations: Sequence[str], location: str) -> None:
    """Apply the migrations not applied yet, each in its own transaction under the writer lock.

    The version is read again once the lock is held, so two processes opening a new
    database at once apply each migration exactly once.
    """
    import psycopg

    for version, script in enumerate(migrations, start=1):
        if schema_version(conn) >= version:
            continue
        try:
            conn.execute(BEGIN_WRITE)
            conn.execute(SCHEMA_VERSION_TABLE)
            if schema_version(conn) < version:
                conn.execute(script)
                conn.execute(
                    "INSERT INTO schema_version (version) VALUES (?) "
                    "ON CONFLICT (only_row) DO UPDATE SET version = excluded.version", (version,)
                )
            conn.execute("COMMIT")
        except psycopg.Error as err:
            conn.execute("ROLLBACK")
            raise StoreError(f"migration {version} failed on {location}: {err}") from err
        except BaseException:
            conn.execute("ROLLBACK")
            raise
    current = schema_version(conn)
    if current > len(migrations):
        raise StoreError(f"{location} has schema version {current}, newer than this Regionsök ({len(migrations)})")
