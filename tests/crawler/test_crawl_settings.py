"""The crawl process gets the parent's settings whole, not a hand-picked few."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import crawler.run
from crawler.demosite import DemoSite
from crawler.run import crawl
from regionsok.settings import Settings

_PRINT_SETTINGS = "from regionsok.settings import get_settings; print(get_settings().model_dump_json())"


def test_a_configured_user_agent_reaches_the_sites_through_the_crawl_process(
    tmp_path: Path, demo_site: DemoSite, sources_file: Path
) -> None:
    settings = Settings(data_dir=tmp_path / "data", user_agent="SettingsTestBot/2 (+https://example.invalid/bot)")
    crawl(settings, sources_file)
    assert demo_site.requests
    assert {r.user_agent for r in demo_site.requests} == {settings.user_agent}


def test_every_setting_reaches_the_crawl_process(
    tmp_path: Path, sources_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Settings the crawl does not read today, with values no environment sets: a setting
    # added tomorrow reaches the child the same way.
    settings = Settings(data_dir=tmp_path / "data", exact_index_max=123, query_threads=3,
                        index_lock_wait_seconds=7.5, embedding_backend="torch")
    seen: dict[str, Settings] = {}
    real_run = subprocess.run

    def run_child(command: list[str], *, env: dict[str, str], **_: Any) -> subprocess.CompletedProcess[str]:
        child = real_run([sys.executable, "-c", _PRINT_SETTINGS], env=env, capture_output=True,
                               text=True, check=True, timeout=120)
        seen["child"] = Settings.model_validate_json(child.stdout)
        report = Path(command[command.index("--report") + 1])
        report.write_text(json.dumps({"sources": [], "seconds": 0.0}), encoding="utf-8")
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(crawler.run.subprocess, "run", run_child)
    crawl(settings, sources_file)
    assert seen["child"] == settings.model_copy(update={"data_dir": settings.data_dir.resolve()})
