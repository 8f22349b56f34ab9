"""An exclusive lock file: one nightly run, one index writer at a time.

``flock`` on an open file: the kernel releases it when the process dies, even by SIGKILL,
so a crashed run never leaves a stale lock behind. The holder's pid is written into the
file for an operator who wants to know who holds it.

Contention has one message (``LockedError``, built here) and one exit code everywhere
(``LOCKED_EXIT_CODE``). By default a busy lock fails at once; ``wait_seconds`` waits that
long for the holder to finish (the nightly job waits for a manual `regionsok index`).
The lock is reentrant within a process: a block that already holds a path (the nightly
job's index stage) may enter code that takes it again (the indexer itself).
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from regionsok.errors import LockedError

LOCKED_EXIT_CODE = 3  # the CLI's exit code for "another run holds the lock"
_RETRY_SECONDS = 0.1  # flock has no timeout; a held lock is retried this often while waiting

_held: dict[Path, int] = {}  # lock files this process holds, with how often each is entered
_held_guard = threading.Lock()


def _holder_pid(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "unknown"
    except OSError:
        return "unknown"


def locked_message(busy_message: str, path: Path) -> str:
    """The one wording of lock contention, for every lock."""
    return (f"{busy_message} (lock {path}, held by pid {_holder_pid(path)}); "
            "wait for it to finish and try again")


@contextmanager
def exclusive_lock(path: Path, busy_message: str, *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold ``path`` locked for the block; LockedError if still busy after ``wait_seconds``."""
    path = path.resolve()
    with _held_guard:
        if path in _held:
            _held[path] += 1
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _held_guard:
                _held[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError as err:
                if time.monotonic() >= deadline:
                    raise LockedError(locked_message(busy_message, path)) from err
                time.sleep(min(_RETRY_SECONDS, max(deadline - time.monotonic(), 0.0)))
        with _held_guard:
            _held[path] = 1
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield
        finally:
            with _held_guard:
                del _held[path]
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


__all__ = ["LOCKED_EXIT_CODE", "exclusive_lock", "locked_message"]
