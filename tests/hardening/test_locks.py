"""Lock contention: one message and exit code 3 everywhere; the nightly index stage waits.

A second process really holds the lock (flock, as in production); every wait is for a
condition (the child saying it holds the lock, the child exiting), never a sleep.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from regionsok.errors import LockedError
from regionsok.locks import exclusive_lock
from regionsok.settings import Settings
from regionsok.store import Store

REPO = Path(__file__).resolve().parents[2]
HOLDER = """
import sys
from pathlib import Path
from regionsok.locks import exclusive_lock
with exclusive_lock(Path(sys.argv[1]), "a test holder"):
    print("held", flush=True)
    sys.stdin.read()  # hold until the test closes our stdin
"""


@pytest.fixture()
def holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A second process holding ``<data>/index/.lock`` until its stdin is closed."""
    lock = tmp_path / "data" / "index" / ".lock"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(lock)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    try:
        yield lock, child
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(timeout=60)


def _release(child: subprocess.Popen[str]) -> None:
    assert child.stdin is not None
    child.stdin.close()


def test_a_second_index_run_exits_3_naming_the_holder(
    holder: tuple[Path, subprocess.Popen[str]], model_dir: Path,
) -> None:
    lock, child = holder
    env = {**os.environ, "REGIONSOK_DATA_DIR": str(lock.parent.parent), "HF_HUB_OFFLINE": "1",
           "REGIONSOK_EMBEDDING_MODEL": str(model_dir)}
    done = subprocess.run([sys.executable, "-m", "regionsok", "index"], capture_output=True, text=True,
                          env=env, timeout=300, cwd=REPO)

    assert done.returncode == 3, done.stderr
    assert "another process is updating the index" in done.stderr
    assert f"held by pid {child.pid}" in done.stderr
    assert "wait for it to finish and try again" in done.stderr


def test_a_busy_lock_is_waited_for_when_asked(holder: tuple[Path, subprocess.Popen[str]]) -> None:
    lock, child = holder
    with pytest.raises(LockedError):
        with exclusive_lock(lock, "busy"):
            pass
    acquired = threading.Event()

    def wait_for_lock() -> None:
        with exclusive_lock(lock, "busy", wait_seconds=120):
            acquired.set()

    waiter = threading.Thread(target=wait_for_lock)
    waiter.start()
    _release(child)
    waiter.join(timeout=150)

    assert acquired.is_set()
    assert child.wait(timeout=60) == 0  # it was the holder's exit that let the waiter in


def test_the_lock_is_reentrant_within_one_process(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    with exclusive_lock(lock, "outer"), exclusive_lock(lock, "inner"):
        pass
    with exclusive_lock(lock, "again"):  # fully released afterwards
        pass


def test_nightly_index_stage_waits_for_a_manual_index(
    holder: tuple[Path, subprocess.Popen[str]], model_dir: Path,
) -> None:
    from app.jobs import _index
    from search.indexer import IndexReport

    lock, child = holder
    data_dir = lock.parent.parent
    with Store.open(data_dir / "regionsok.sqlite3") as store:
        with pytest.raises(LockedError):
            _index(store, Settings(data_dir=data_dir, index_lock_wait_seconds=0,
                                   embedding_model=str(model_dir)))
    outcome: dict[str, object] = {}

    def run_stage() -> None:
        with Store.open(data_dir / "regionsok.sqlite3") as store:
            try:
                outcome["report"] = _index(store, Settings(
                    data_dir=data_dir, index_lock_wait_seconds=120, embedding_model=str(model_dir),
                ))
            except Exception as err:  # reported below
                outcome["error"] = err

    stage = threading.Thread(target=run_stage)
    stage.start()
    _release(child)
    stage.join(timeout=300)

    assert "error" not in outcome, outcome
    assert isinstance(outcome.get("report"), IndexReport)
