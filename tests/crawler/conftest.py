"""Crawler test setup: the demo site served on 127.0.0.1, a data directory, a sources file.

Crawls are real: Scrapy (in its own process, see ``crawler.run``) against the real demo
HTTP server. Settings are passed explicitly, never through this process's environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from crawler.demosite import DemoSite
from crawler.demosite.sources import write_demo_sources
from regionsok.settings import Settings

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture()
def demo_site() -> Iterator[DemoSite]:
    """A fresh demo site per test (tests edit and remove pages)."""
    with DemoSite() as site:
        yield site


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Settings over an empty data directory (no embedding model: crawl and ingest only)."""
    return Settings(data_dir=tmp_path / "data")


@pytest.fixture()
def sources_file(tmp_path: Path, demo_site: DemoSite) -> Path:
    return write_demo_sources(tmp_path / "demo-sources.toml", demo_site.url)


CliRunner = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture()
def cli() -> CliRunner:
    """``cli(settings, *args)``: ``regionsok --data-dir DIR ARGS...`` in a child process, as cron would."""
    return run_cli


def run_cli(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    if settings.embedding_model:
        env["REGIONSOK_EMBEDDING_MODEL"] = settings.embedding_model
    command = [sys.executable, "-m", "regionsok", "--data-dir", str(settings.data_dir), *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


@pytest.fixture()
def crawl_queue(redis_server: str) -> str:
    """The session's Redis, emptied for this test: a fresh shared frontier."""
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    return redis_server
