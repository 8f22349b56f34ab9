"""Search test setup: the embedding model loaded once, and two indexed corpora per session.

- ``seed_settings``: the five seed pages (tests/fixtures/html), with the facets of their
  hand-checked gold extractions (tests/fixtures/seeds/gold.jsonl), indexed once.
- ``dev_settings``: the dev corpus of bench/eval_search.py (seeds, the Kronoberg PDF and
  tests/fixtures/search/dev_corpus.jsonl), indexed once.

Settings are passed explicitly, never through the environment, so other areas' tests are
not affected. Tests that change an index work on their own copy in ``tmp_path``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from regionsok.settings import Settings
from tests.support.gold import ingest_with_gold, label_doc_ids

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SEED_HTML = FIXTURES / "html"
SEARCH_FIXTURES = FIXTURES / "search"


def ingest_seeds(settings: Settings, html_dir: Path = SEED_HTML) -> None:
    ingest_with_gold(settings, html_dir, FIXTURES / "seeds" / "gold.jsonl")


@pytest.fixture(scope="session")
def embedder(model_dir: Path) -> Any:
    """The bundled model in fp32 torch, loaded once (``load_embedder`` caches it per process).

    The quality gates' floors are figures of one backend: ``auto`` picks a different one on a
    different CPU, and int8 vectors move borderline documents across the relevance floor.
    """
    from search.embedding import load_embedder

    return load_embedder(Settings(embedding_model=str(model_dir), embedding_backend="torch"))


def make_settings(root: Path, model_dir: Path) -> Settings:
    return Settings(data_dir=root / "data", embedding_model=str(model_dir))


def indexed_seeds(root: Path, model_dir: Path, embedder: Any) -> Settings:
    from regionsok.store import Store
    from search.indexer import update_index

    settings = make_settings(root, model_dir)
    ingest_seeds(settings)
    with Store.open(settings.db_path) as store:
        update_index(store, settings, embedder=embedder)
    return settings


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory, model_dir: Path, embedder: Any) -> Settings:
    return indexed_seeds(tmp_path_factory.mktemp("seeds"), model_dir, embedder)


@pytest.fixture()
def own_seed_settings(tmp_path: Path, model_dir: Path, embedder: Any) -> Settings:
    """The seed pages indexed into this test's own data directory, for tests that change it."""
    return indexed_seeds(tmp_path, model_dir, embedder)


@pytest.fixture(scope="session")
def seed_service(seed_settings: Settings, embedder: Any) -> Any:
    from search.service import SearchService

    return SearchService(seed_settings, embedder=embedder)


@pytest.fixture(scope="session")
def seed_ids(seed_settings: Settings) -> dict[str, str]:
    return label_doc_ids(seed_settings)


@pytest.fixture(scope="session")
def dev_settings(tmp_path_factory: pytest.TempPathFactory, model_dir: Path, embedder: Any) -> Settings:
    from search.evaluation import build_dev_corpus

    settings = make_settings(tmp_path_factory.mktemp("dev"), model_dir)
    build_dev_corpus(settings, SEED_HTML, FIXTURES / "pdf", SEARCH_FIXTURES / "dev_corpus.jsonl", embedder=embedder)
    return settings
