"""The nightly job with its store in PostgreSQL (``REGIONSOK_STORE_URL``), as a shared-store
deployment runs it: crawl → ingest → extract → index into the database, nothing into a
SQLite file, and the next night asks conditionally and embeds nothing that did not change;
searching (filters and facets from the database, the keyword and vector sides from the
index generation) then answers from it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.demosite import DemoSite
from crawler.demosite.sources import write_demo_sources
from regionsok.store import Store

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _env(model_dir: Path, store_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIONSOK_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "REGIONSOK_MODEL_DIR": str(model_dir),
                "REGIONSOK_STORE_URL": store_url})
    return env


def _search(data_dir: Path, model_dir: Path, store_url: str, *args: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, "-m", "regionsok", "--data-dir", str(data_dir), "search", *args, "--json"],
        env=_env(model_dir, store_url), cwd=REPO, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    answer: dict[str, Any] = json.loads(result.stdout)
    return answer


def _nightly(data_dir: Path, model_dir: Path, store_url: str, sources: Path) -> dict[str, Any]:
    env = _env(model_dir, store_url)
    result = subprocess.run(
        [sys.executable, "-m", "regionsok", "--data-dir", str(data_dir), "nightly", "--sources", str(sources)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    newest = max((data_dir / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime)
    report: dict[str, Any] = json.loads(newest.read_text())
    return report


def test_nightly_keeps_its_store_in_postgres_and_the_next_night_is_incremental(
    tmp_path: Path, model_dir: Path, postgres_url: str
) -> None:
    data_dir = tmp_path / "data"
    with DemoSite() as site:
        sources = write_demo_sources(tmp_path / "sources.toml", site.url)
        first = _nightly(data_dir, model_dir, postgres_url, sources)
        second = _nightly(data_dir, model_dir, postgres_url, sources)

    assert first["ok"] is True and first["stage_errors"] == {}
    assert not (data_dir / "regionsok.sqlite3").exists()
    with Store.open(postgres_url, readonly=True) as store:
        stats = store.stats()
        assert stats["documents"] > 0 and stats["awaiting_extraction"] == stats["awaiting_index"] == 0
        assert stats["chunks"] == first["index"]["vectors"] == first["index"]["chunks_embedded"]
        assert stats["versions"] == stats["documents"]  # every document stored once, at version 1
        assert store.last_run("nightly") is not None
    assert second["ok"] is True
    assert second["index"]["chunks_embedded"] == 0  # unchanged pages: nothing embedded again

    everything = _search(data_dir, model_dir, postgres_url, "spelberoende")
    assert everything["total"] > 0 and everything["results"][0]["snippet"]
    county = everything["results"][0]["counties"][0]
    in_county = _search(data_dir, model_dir, postgres_url, "spelberoende", "--county", county)
    assert 0 < in_county["total"] <= everything["total"]
    assert all(county in hit["counties"] for hit in in_county["results"])
    assert in_county["facets"]["county"].get(county) == in_county["total"]
    assert not (data_dir / "regionsok.sqlite3").exists()
