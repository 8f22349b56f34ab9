"""Incremental, crash-safe index updates: only changes are embedded, readers never see a broken index."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import regionsok
import search.service as service_module
from regionsok.errors import IndexError_
from regionsok.faults import FAULT_ENV
from regionsok.settings import Settings
from regionsok.store import Store
from search.indexer import current_generation, update_index
from search.service import SearchRequest, SearchService
from tests.support.gold import ingest_with_gold

REPO = Path(regionsok.__file__).resolve().parents[1]  # where `python -m regionsok` runs
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
DEV_CORPUS = FIXTURES / "search" / "dev_corpus.jsonl"


NEW_DOCUMENTS = 6  # the first records of the dev corpus, added after the first index
OCD_TITLE = "Nytt OCD-team för barn och unga i Halland"  # one of them


def ingest_seeds(settings: Settings, html_dir: Path = FIXTURES / "html") -> None:
    ingest_with_gold(settings, html_dir, FIXTURES / "seeds" / "gold.jsonl")


@pytest.fixture()
def indexed_seeds(seed_settings: Settings, settings: Settings) -> Settings:
    """A private copy of the session's indexed seed corpus (index version 1), free to change."""
    import sqlite3

    settings.data_dir.mkdir(parents=True)
    with sqlite3.connect(seed_settings.db_path) as source, sqlite3.connect(settings.db_path) as target:
        source.backup(target)
    shutil.copytree(seed_settings.index_dir, settings.index_dir, ignore=shutil.ignore_patterns(".lock"))
    return settings


def ingest_new_documents(settings: Settings) -> None:
    from ingest.pipeline import ingest_jsonl

    lines = DEV_CORPUS.read_text(encoding="utf-8").splitlines()[:NEW_DOCUMENTS]
    path = settings.data_dir / "new.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Store.open(settings.db_path) as store:
        assert not ingest_jsonl(store, path).failed


@pytest.fixture()
def site(tmp_path: Path) -> Path:
    """A private copy of the seed pages, free to edit and delete."""
    return Path(shutil.copytree(FIXTURES / "html", tmp_path / "site"))


@pytest.fixture()
def settings(tmp_path: Path, model_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding_model=str(model_dir))


def _index(settings: Settings, embedder: Any) -> Any:
    with Store.open(settings.db_path) as store:
        return update_index(store, settings, embedder=embedder)


def _titles(service: SearchService, query: str, k: int = 10) -> list[str]:
    return [hit.title for hit in service.search(SearchRequest(query=query, k=k)).hits]


def test_update_embeds_only_changed_documents_and_drops_removed_ones(
    site: Path, settings: Settings, embedder: Any
) -> None:
    ingest_seeds(settings, site)
    first = _index(settings, embedder)
    assert (first.documents_indexed, first.documents_removed, first.index_version) == (5, 0, 1)
    service = SearchService(settings, embedder=embedder)

    again = _index(settings, embedder)
    assert (again.documents_indexed, again.chunks_embedded, again.index_version) == (0, 0, 1)
    assert service.reload_if_changed() is False

    page = site / "004_f483bdd49a294f52.html"
    page.write_text(page.read_text(encoding="utf-8").replace(
        "Bilden visar en undersökning på vårdcentral.",
        "Bilden visar en undersökning på vårdcentralen Kvarnbacken i Motala."), encoding="utf-8")
    removed_url = (site / "002_2d8ce6ff0a640360.html").as_uri()
    ingest_seeds(settings, site)
    with Store.open(settings.db_path) as store:
        assert store.mark_removed(removed_url, 410)
    update = _index(settings, embedder)

    assert (update.documents_indexed, update.documents_removed, update.index_version) == (1, 1, 2)
    assert 1 <= update.chunks_embedded < first.chunks_embedded // 2  # the changed chunk(s) only
    assert update.chunks_removed >= update.chunks_embedded + 1  # replaced chunks and all of 002's
    assert service.reload_if_changed() is True
    assert service.search(SearchRequest(query="Kvarnbacken Motala", k=1)).hits[0].title == (
        "Stärker primärvården med 30 miljoner")
    assert not any("Jönköpings län" in t for t in _titles(service, "missbruks- och beroendevården"))
    health = service.health()
    assert health["chunks"] == health["vectors"]
    assert health["documents"] == 4


def test_a_large_index_is_reloaded_on_a_thread_while_the_served_generation_keeps_answering(
    indexed_seeds: Settings, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = indexed_seeds
    service = SearchService(settings, embedder=embedder)
    ingest_new_documents(settings)
    assert _index(settings, embedder).index_version == 2
    monkeypatch.setattr(service_module, "CATALOG_SYNC_MAX", 0)  # as if it held a million chunks
    started = threading.Event()
    release = threading.Event()
    load = service._load

    def slow_load() -> Any:  # a load that takes as long as the test says
        started.set()
        assert release.wait(60)
        return load()

    monkeypatch.setattr(service, "_load", slow_load)
    assert service.reload_if_changed() is False  # returned at once: the load runs elsewhere
    assert started.wait(60)
    assert service.health()["index_version"] == 1  # requests meanwhile get the generation served
    assert OCD_TITLE not in _titles(service, "tvångssyndrom")
    release.set()
    deadline = time.monotonic() + 60
    while service.health()["index_version"] != 2:
        assert time.monotonic() < deadline, "the new generation was never swapped in"
        time.sleep(0.05)
    assert _titles(service, "tvångssyndrom", k=1) == [OCD_TITLE]


def test_a_run_killed_between_publish_and_commit_is_repaired_by_the_next(
    indexed_seeds: Settings, embedder: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = indexed_seeds
    ingest_new_documents(settings)

    def crash(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt("killed after the swap, before the commit")

    monkeypatch.setattr(Store, "replace_document_chunks", crash)
    with pytest.raises(KeyboardInterrupt):
        _index(settings, embedder)
    monkeypatch.undo()

    service = SearchService(settings, embedder=embedder)  # the half-finished generation still serves
    assert service.health()["index_version"] == 2
    assert "Stärker primärvården med 30 miljoner" in _titles(service, "primärvården")

    repaired = _index(settings, embedder)
    assert repaired.documents_indexed == NEW_DOCUMENTS
    service.reload_if_changed()
    assert _titles(service, "tvångssyndrom", k=1) == [OCD_TITLE]
    health = service.health()
    assert health["chunks"] == health["vectors"]


def test_sigkill_during_index_leaves_the_previous_index_searchable(
    indexed_seeds: Settings, embedder: Any, model_dir: Path
) -> None:
    settings = indexed_seeds
    ingest_new_documents(settings)
    # The child kills itself after its first committed batch of embeddings (regionsok.faults).
    env = {**os.environ, "REGIONSOK_DATA_DIR": str(settings.data_dir),
           "REGIONSOK_EMBEDDING_MODEL": str(model_dir), "HF_HUB_OFFLINE": "1", FAULT_ENV: "index.embed"}
    command = [sys.executable, "-m", "regionsok", "index", "--json"]

    killed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]

    service = SearchService(settings, embedder=embedder)
    assert service.health()["index_version"] == 1
    assert "Stärker primärvården med 30 miljoner" in _titles(service, "primärvården")

    done = _index(settings, embedder)  # the next run (in-process: same code, no second model load)
    assert done.documents_indexed == NEW_DOCUMENTS
    assert service.reload_if_changed() is True
    assert _titles(service, "tvångssyndrom", k=1) == [OCD_TITLE]
    assert not [p.name for p in settings.index_dir.iterdir() if p.name.startswith(".gen-")]


def test_searching_before_any_index_is_a_clear_error(settings: Settings, embedder: Any) -> None:
    ingest_seeds(settings)
    assert current_generation(settings.index_dir) is None
    with pytest.raises(IndexError_, match="regionsok index"):
        SearchService(settings, embedder=embedder)


class _Interrupted(Exception):
    pass


class _StopsAfter:
    """The real embedder, interrupted after ``batches`` batches (as a kill mid-embedding would)."""

    def __init__(self, embedder: Any, batches: int | None) -> None:
        self.embedder, self.batches, self.texts = embedder, batches, 0
        self.name, self.dim = embedder.name, embedder.dim

    def encode_documents(self, texts: list[str]) -> Any:
        if self.batches is not None:
            if self.batches == 0:
                raise _Interrupted
            self.batches -= 1
        self.texts += len(texts)
        return self.embedder.encode_documents(texts)


def test_an_interrupted_index_run_keeps_its_embeddings(tmp_path: Path, model_dir: Path, embedder: Any) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(model_dir), embedding_batch_size=1)
    ingest_seeds(settings)
    ingest_new_documents(settings)  # the seeds and six more: more than two batches of 8 chunks

    first = _StopsAfter(embedder, batches=2)
    with pytest.raises(_Interrupted):
        _index(settings, first)
    assert first.texts == 16
    assert current_generation(settings.index_dir) is None  # nothing half-done is served

    rerun = _StopsAfter(embedder, batches=None)
    report = _index(settings, rerun)
    assert report.chunks_reused == 16 and report.chunks_embedded == rerun.texts
    assert report.vectors == report.chunks_reused + report.chunks_embedded
    with Store.open(settings.db_path) as store:
        assert store.cached_vectors(embedder.name, ["x"]) == {}
        assert store.conn.execute("SELECT count(*) FROM embedding_cache").fetchone()[0] == 0
    hits = SearchService(settings, embedder=embedder).search(SearchRequest(query="OCD-team för barn", k=3)).hits
    assert hits and hits[0].title == OCD_TITLE
