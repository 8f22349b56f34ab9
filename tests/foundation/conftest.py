"""Fixtures for the foundation tests: a fresh store and bad inputs built on the fly."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from regionsok.store import Store

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"


@pytest.fixture()
def store(store_location: str) -> Iterator[Store]:
    """A fresh store, on SQLite and on PostgreSQL (each test using it runs on both)."""
    with Store.open(store_location) as opened:
        yield opened


@pytest.fixture(scope="session")
def run_cli():  # type: ignore[no-untyped-def]
    """Runs the real `regionsok` command line in a subprocess: run_cli(*args, data_dir=...)."""
    return _run_cli


def _run_cli(*args: str, data_dir: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REGIONSOK_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "regionsok", *args], capture_output=True, text=True, env=env,
        timeout=timeout, cwd=REPO,
    )
