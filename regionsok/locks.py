"""An exclusive lock file that fails fast: one nightly run, one index writer at a time.

``flock`` on an open file: the kernel releases it when the process dies, even by SIGKILL,
so a crashed run never leaves a stale lock behind. The holder's pid is written into the
file for an operator who wants to know who holds it.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from regionsok.errors import LockedError


@contextmanager
def exclusive_lock(path: Path, busy_message: str) -> Iterator[None]:
    """Hold ``path`` locked for the block, or raise LockedError(busy_message) at once."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as err:
            raise LockedError(busy_message) from err
        try:
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n")
            fh.flush()
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
