"""Process settings: thread counts come from settings at the entry point, never from a stage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import faiss
import pytest

import search.runtime as runtime
from regionsok.settings import Settings
from search.runtime import apply_process_settings, thread_counts


@pytest.fixture(autouse=True)
def _restore_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    before = faiss.omp_get_max_threads()
    monkeypatch.setattr(runtime, "_applied", None)
    yield
    faiss.omp_set_num_threads(before)


def test_a_query_process_searches_on_the_configured_threads() -> None:
    apply_process_settings(Settings(query_threads=1, compute_threads=2), "query")
    assert faiss.omp_get_max_threads() == 1
    assert thread_counts().graph == 2  # the int8 runtimes keep their cores for the one query


def test_a_build_process_uses_the_compute_threads() -> None:
    apply_process_settings(Settings(query_threads=1, compute_threads=2), "build")
    assert faiss.omp_get_max_threads() == 2
    assert thread_counts().torch == 2


def test_applying_the_same_settings_again_changes_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(query_threads=1)
    apply_process_settings(settings, "query")
    calls: list[int] = []
    monkeypatch.setattr(faiss, "omp_set_num_threads", calls.append)
    apply_process_settings(settings, "query")
    assert calls == []


def test_loading_a_search_service_leaves_the_process_thread_count_alone(seed_service: object) -> None:
    # seed_service is built by a fixture; building another must not reset the pool.
    from search.service import SearchService

    faiss.omp_set_num_threads(2)
    SearchService(seed_service.settings, embedder=seed_service.embedder)  # type: ignore[attr-defined]
    assert faiss.omp_get_max_threads() == 2


@pytest.mark.parametrize(("workload", "stops"), [("query", True), ("build", False)])
def test_a_query_process_stops_the_int8_runtime_spinning_after_each_embedding(
    model_dir: Path, workload: str, stops: bool
) -> None:
    # A search embeds one query and goes on with FAISS, the keyword side and the response: ONNX
    # Runtime's threads spinning after the run would take the core that work needs. Indexing runs
    # batch after batch and keeps them spinning.
    from search.embedding import ONNX_STOP_SPINNING, OnnxEmbedder

    if not (model_dir / OnnxEmbedder.graph_file).is_file():
        pytest.skip("the model was built without the ONNX export (--no-onnx)")
    apply_process_settings(Settings(compute_threads=2), workload)  # type: ignore[arg-type]
    embedder = OnnxEmbedder(model_dir, name="e5-onnx-int8", batch_size=4)
    assert embedder.encode_query(["spelberoende"]).shape == (1, embedder.dim)
    options = embedder._session.get_session_options()
    try:
        stop = options.get_session_config_entry(ONNX_STOP_SPINNING)
    except RuntimeError:  # ONNX Runtime's answer for an option never set
        stop = None
    assert stop == ("1" if stops else None)
    assert options.intra_op_num_threads == 2
