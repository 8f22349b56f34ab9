"""The nightly job end to end: crawl → ingest → extract → index, incremental, lock, crash safety."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from app.jobs import nightly, nightly_lock
from crawler.demosite import DemoSite
from regionsok.faults import FAULT_ENV
from regionsok.settings import Settings
from regionsok.store import Store
from search.indexer import current_generation
from search.service import SearchRequest, SearchService

CliRunner = Callable[..., Any]
NEW_TEXT = "Teamet tar nu också emot familjer via videosamtal från fyrtornet på Nidingen."
NEW_QUERY = "videosamtal från fyrtornet på Nidingen"
SLUG = "halland-ocd-team-barn-och-unga"


@pytest.fixture()
def model_settings(tmp_path: Path, model_dir: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding_model=str(model_dir))


def _top_urls(settings: Settings, query: str, mode: str = "hybrid") -> list[str]:
    response = SearchService(settings).search(SearchRequest(query=query, k=3, mode=mode))
    return [hit.url for hit in response.hits]


@pytest.mark.slow
def test_nightly_is_incremental_and_makes_changed_text_searchable(
    model_settings: Settings, demo_site: DemoSite, sources_file: Path, cli: CliRunner
) -> None:
    first = nightly(model_settings, sources_file)
    assert first.ok and first.index is not None and first.index.chunks_embedded > 0

    again = nightly(model_settings, sources_file)
    assert again.ok and again.crawl is not None
    assert again.crawl.total("new") == again.crawl.total("changed") == 0
    assert again.ingest is not None and again.ingest.new == again.ingest.changed == 0
    assert again.index is not None and again.index.chunks_embedded == 0

    path = demo_site.edit_article(SLUG, NEW_TEXT)
    result = cli(model_settings, "nightly", "--sources", str(sources_file))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo-press" in result.stdout and "run report:" in result.stdout
    reports = sorted(model_settings.runs_dir.glob("*.json"), key=lambda p: p.stat().st_mtime)
    last = json.loads(reports[-1].read_text(encoding="utf-8"))
    assert last["ok"] is True and last["crawl"]["totals"]["changed"] == 1 and last["crawl"]["totals"]["new"] == 0
    assert _top_urls(model_settings, NEW_QUERY)[0] == demo_site.url + path


@pytest.mark.slow
def test_nightly_killed_midway_keeps_serving_the_previous_index(
    model_settings: Settings, demo_site: DemoSite, sources_file: Path
) -> None:
    assert nightly(model_settings, sources_file).ok
    before = current_generation(model_settings.index_dir)
    assert before is not None
    path = demo_site.edit_article(SLUG, NEW_TEXT)
    known_reports = set(model_settings.runs_dir.glob("*.json"))

    # The child kills itself in its index stage, after its first batch of embeddings (regionsok.faults).
    env = {**os.environ, "REGIONSOK_EMBEDDING_MODEL": str(model_settings.embedding_model),
           FAULT_ENV: "index.embed"}
    killed = subprocess.run(
        [sys.executable, "-m", "regionsok", "--data-dir", str(model_settings.data_dir), "nightly",
         "--sources", str(sources_file)],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stdout + killed.stderr
    [report] = set(model_settings.runs_dir.glob("*.json")) - known_reports
    assert _stage(report) == "index"  # its run report shows how far it got

    # Search still serves the previous generation: the old texts, not yet the new one.
    after_kill = current_generation(model_settings.index_dir)
    assert after_kill is not None and after_kill.version == before.version
    assert _top_urls(model_settings, "OCD-team för barn och unga i Halland")
    assert demo_site.url + path not in _top_urls(model_settings, NEW_QUERY, mode="keyword")

    # The next run (the lock died with the killed one) completes the work.
    rerun = nightly(model_settings, sources_file)
    assert rerun.ok
    final = current_generation(model_settings.index_dir)
    assert final is not None and final.version > before.version
    assert _top_urls(model_settings, NEW_QUERY)[0] == demo_site.url + path
    with Store.open(model_settings.db_path) as store:
        pending = store.conn.execute(
            "SELECT count(*) FROM documents WHERE removed_at IS NULL AND indexed_sha256 IS NOT sha256"
        ).fetchone()[0]
    assert pending == 0


def test_overlapping_nightly_runs_are_refused(settings: Settings, sources_file: Path, cli: CliRunner) -> None:
    with nightly_lock(settings.data_dir):
        result = cli(settings, "nightly", "--sources", str(sources_file))
    assert result.returncode == 3
    assert "another nightly run" in result.stderr and "Traceback" not in result.stderr


def _stage(path: Path) -> str | None:
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("stage")
    except (OSError, ValueError):
        return None
