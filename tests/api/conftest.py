"""API test setup: one demo-corpus data directory per session, an app over it, a live server.

The corpus (``tests.support.corpus.DEMO_INPUTS``) is the committed fixtures — the seed pages as
HTML, the Kronoberg PDF and press releases of eight more counties — pushed through the
real stages once: ingest, NLP extraction, indexing. Every API test answers from what the
product would really hold. Settings are passed explicitly (never through the environment)
so other areas' tests are not affected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from regionsok.settings import Settings
from tests.support.corpus import LiveServer, session_corpus


@pytest.fixture(scope="session")
def api_settings(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Settings:
    """Settings over a data directory holding the indexed demo corpus (built once)."""
    return session_corpus(lambda: tmp_path_factory.mktemp("api-corpus"), model_dir)


@pytest.fixture(scope="session")
def api_app(api_settings: Settings) -> FastAPI:
    from api.app import create_app

    return create_app(api_settings)


@pytest.fixture(scope="session")
def client(api_app: FastAPI) -> Iterator[TestClient]:
    """A TestClient (lifespan run, so the model is warm) that turns server errors into 500s."""
    with TestClient(api_app, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def live_server(api_settings: Settings) -> Iterator[str]:
    """A real uvicorn server on a free loopback port, serving the corpus; yields its base URL."""
    with LiveServer(api_settings) as base_url:
        yield base_url
