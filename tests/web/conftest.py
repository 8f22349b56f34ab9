"""Web page test setup: the demo corpus (shared with tests/api), an app, a live server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regionsok.settings import Settings
from tests.support.corpus import LiveServer, session_corpus


@pytest.fixture(scope="session")
def web_settings(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Settings:
    """The indexed demo corpus (built once per session, shared with the API tests)."""
    return session_corpus(lambda: tmp_path_factory.mktemp("api-corpus"), model_dir)


@pytest.fixture(scope="session")
def web_client(web_settings: Settings) -> Iterator[TestClient]:
    from api.app import create_app

    with TestClient(create_app(web_settings), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture(scope="session")
def web_server(web_settings: Settings) -> Iterator[str]:
    """The app on a real uvicorn socket on 127.0.0.1 (a free port); yields its base URL."""
    with LiveServer(web_settings) as base_url:
        yield base_url
