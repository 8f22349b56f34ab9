"""A real PostgreSQL server for tests and benches: PyPI's ``pgserver`` (PostgreSQL 16 + pgvector).

One server per test session in a temporary directory, a fresh database per test. As root,
``pgserver`` runs the server as a system user ``pgserver`` it creates with ``useradd``
(PostgreSQL refuses to run as root); the data directory is made with ``mkdtemp`` directly
under the system temp dir, so the only folders whose permissions it widens for that user
are the data directory itself and the already world-readable temp dir — never pytest's
private ``/tmp/pytest-of-root``.
"""

from __future__ import annotations

import itertools
import logging
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


class PostgresUnavailable(RuntimeError):
    """The platform cannot run pgserver's bundled PostgreSQL (the reason says why)."""


@dataclass
class PostgresServer:
    """A running server; :meth:`new_database` hands out empty databases."""

    handle: Any
    directory: str
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def configure_for_tests(self) -> None:
        """No durability for a server deleted at the end: no fsync, no full-page images.

        ``CREATE DATABASE`` and every commit then cost no disk flush.
        """
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            for name in ("fsync", "synchronous_commit", "full_page_writes"):
                conn.execute(f"ALTER SYSTEM SET {name} = off")
            conn.execute("SELECT pg_reload_conf()")

    def url(self, database: str = "postgres") -> str:
        return str(self.handle.get_uri(database))

    def new_database(self, prefix: str = "t") -> str:
        """A fresh empty database's URL."""
        import psycopg

        name = f"{prefix}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            # FILE_COPY, not PostgreSQL 15+'s WAL_LOG: the 8 MB template is not written to the
            # WAL again for every test.
            conn.execute(f'CREATE DATABASE "{name}" STRATEGY FILE_COPY')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = urlsplit(url).path.lstrip("/")  # not the last "/": the socket dir is in the query
        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server and delete its directory.

        ``-m immediate``: no shutdown checkpoint of data about to be deleted. Not pgserver's own
        cleanup either: it waits on the stopped postmaster with psutil, 5 s and more in a
        container whose init does not reap the zombie.
        """
        import pgserver

        pgserver.pg_ctl(["-w", "-m", "immediate", "stop"], pgdata=self.handle.pgdata,
                        user=self.handle.system_user)
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres() -> PostgresServer:
    """Start a throw-away server (about a second); PostgresUnavailable where pgserver is not installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # platformdirs: no XDG_RUNTIME_DIR in containers
            import pgserver
    except ImportError as err:
        raise PostgresUnavailable(f"pgserver is not installed ({err}); `make setup` installs it") from err
    # pgserver's exit hook logs at INFO after pytest has closed its log streams ("Logging
    # error" noise at the end of every run); its warnings and errors still show.
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    directory = tempfile.mkdtemp(prefix="regionsok-pg-")
    # A server that is installed but fails to start is a failure, not a skip: only a
    # platform pgserver has no build for skips.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        handle = pgserver.get_server(directory, cleanup_mode=None)  # stopped by stop()
    server = PostgresServer(handle=handle, directory=directory)
    server.configure_for_tests()
    return server
