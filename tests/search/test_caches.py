"""Process caches: a load runs once however many threads ask, and a failure is not kept."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import ingest.nlp.taxonomy as taxonomy_module
from regionsok.errors import ConfigError
from search.hybrid import taxonomy_slugs
from search.runtime import LoadOnce


def test_a_load_asked_for_by_two_threads_at_once_runs_once() -> None:
    cache: LoadOnce[str, int] = LoadOnce()
    loads: list[str] = []
    started = threading.Event()

    def slow_load() -> int:
        loads.append("model")
        started.set()
        time.sleep(0.2)  # the second thread arrives while the first is still loading
        return 42

    results: list[int] = []
    first = threading.Thread(target=lambda: results.append(cache.get("model", slow_load)))
    first.start()
    started.wait(5)
    second = threading.Thread(target=lambda: results.append(cache.get("model", slow_load)))
    second.start()
    first.join(5)
    second.join(5)
    assert results == [42, 42]
    assert loads == ["model"]


def test_a_failed_load_is_tried_again() -> None:
    cache: LoadOnce[str, str] = LoadOnce()
    attempts: list[int] = []

    def flaky() -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise OSError("disk not mounted yet")
        return "loaded"

    with pytest.raises(OSError):
        cache.get("model", flaky)
    assert cache.get("model", flaky) == "loaded"
    assert len(attempts) == 2


def test_a_broken_taxonomy_fails_filters_instead_of_accepting_any_slug(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = tmp_path / "taxonomy.json"
    broken.write_text("not json", encoding="utf-8")
    good = taxonomy_module.TAXONOMY_FILE
    taxonomy_module.load_taxonomy.cache_clear()
    monkeypatch.setattr(taxonomy_module, "TAXONOMY_FILE", broken)
    try:
        with pytest.raises(ConfigError):
            taxonomy_slugs("focus_area")
        monkeypatch.setattr(taxonomy_module, "TAXONOMY_FILE", good)  # repaired: read again, not a cached failure
        assert "gambling" in taxonomy_slugs("focus_area")
    finally:
        taxonomy_module.load_taxonomy.cache_clear()
