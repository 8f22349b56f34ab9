"""Session-wide test setup: offline model hub, the built embedding model, temp data dirs."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Tests never touch the internet: any hub download must fail fast instead of hanging.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    """Overrides a test made (a CLI ``--data-dir``) do not reach the next test."""
    from regionsok.settings import reset_settings

    yield
    reset_settings()


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled embedding model as a sentence-transformers folder, built once per session.

    Reuses the model folder `make setup` built (REGIONSOK_MODEL_DIR, default
    ~/.cache/regionsok/model), as `regionsok model build` would; otherwise builds one for the session.
    """
    from regionsok.settings import default_model_dir
    from search.model_folder import is_built
    from search.modelbuild import build_model

    prebuilt = Path(os.environ.get("REGIONSOK_TEST_MODEL_DIR")
                    or os.environ.get("REGIONSOK_MODEL_DIR") or default_model_dir())
    if is_built(prebuilt):
        return build_model(prebuilt)  # built already: only refreshes its README if older
    return build_model(tmp_path_factory.mktemp("model") / "model")


@pytest.fixture()
def data_dir(tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh data directory with settings pointing at it and at the session's model."""
    from regionsok.settings import get_settings

    monkeypatch.setenv("REGIONSOK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("REGIONSOK_EMBEDDING_MODEL", str(model_dir))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


# -- a real Redis (the crawl frontier, the embed queue) -----------------------------------------


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for the session (tests.support.redis), on a unix socket; its URL."""
    from tests.support.redis import start_redis

    server, url = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


# -- the store on both backends --------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:
    """One real PostgreSQL server (pgserver) for the whole run, stopped and deleted at the end."""
    from tests.support.postgres import PostgresUnavailable, start_postgres

    try:
        server = start_postgres()
    except PostgresUnavailable as err:
        pytest.skip(f"no PostgreSQL on this platform: {err}")
    yield server
    server.stop()


@pytest.fixture()
def postgres_url(postgres_server: object) -> Iterator[str]:
    """A fresh, empty database on the session's server, dropped after the test."""
    from tests.support.postgres import PostgresServer

    assert isinstance(postgres_server, PostgresServer)
    url = postgres_server.new_database()
    yield url
    postgres_server.drop_database(url)


@pytest.fixture(params=["sqlite", "postgresql"])
def store_location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a fresh store opens, once per backend: a SQLite file, or an empty PostgreSQL database.

    Tests taking it (the store fixtures) run twice; ``Store.open(store_location)`` opens either.
    """
    if request.param == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(tmp_path / "regionsok.sqlite3")
