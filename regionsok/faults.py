"""Named fault points: a crash test makes a process SIGKILL itself at one named stage.

Crash-safety tests and ``bench/faults.py`` used to watch a child's run reports or log lines
and send SIGKILL when they saw a stage; on a busy machine the child was sometimes done (or
further along) before the signal landed. Instead the child kills itself, exactly there:

    REGIONSOK_FAULT_AT=<stage>       the first time the process reaches <stage>
    REGIONSOK_FAULT_AT=<stage>@<n>   the n-th time (e.g. ``ingest.page@200``: after 200 inputs)

Stages (each one line at its call site):

``ingest.page``      an input of ``regionsok ingest`` / the nightly ingest is finished (committed)
``index.load``       the current index generation is loaded, nothing embedded yet
``index.embed``      one batch of embeddings is computed and committed to the store's cache
``embed.batch``      an embed worker committed a batch's vectors, not yet acknowledged (search/distributed.py)
``index.write``      the new generation is written to disk, not yet swapped in
``index.swap``       the new generation is swapped in, its chunk rows not yet committed
``nightly.<stage>``  the nightly job starts a stage: crawl, ingest, extract or index
``crawl.response``   a crawl worker received an answer, not yet parsed (crawler/frontier.py)
``crawl.seeded``     a crawl worker queued a run's start requests, the run not yet open to others

The variable is a test hook, not a setting: it is unset in production and costs one
environment lookup per call.
"""

from __future__ import annotations

import os
import signal

from regionsok.errors import ConfigError

FAULT_ENV = "REGIONSOK_FAULT_AT"

_reached: dict[str, int] = {}  # how often this process reached each named stage


def parse_fault(value: str) -> tuple[str, int]:
    """``"stage@n"`` → ``("stage", n)``; a bare ``"stage"`` means its first time."""
    stage, at, nth = value.strip().partition("@")
    if not stage or (at and not (nth.isdigit() and int(nth) >= 1)):
        raise ConfigError(f"{FAULT_ENV}={value!r}: expected <stage> or <stage>@<n> with n >= 1")
    return stage, int(nth) if at else 1


def fault_point(name: str) -> None:
    """SIGKILL this process if ``REGIONSOK_FAULT_AT`` names this stage (and this is its n-th time)."""
    wanted = os.environ.get(FAULT_ENV)
    if not wanted:
        return
    stage, nth = parse_fault(wanted)
    if stage != name:
        return
    _reached[name] = _reached.get(name, 0) + 1
    if _reached[name] >= nth:
        # SIGKILL, not an exception or sys.exit: no finally block, atexit hook or buffered
        # write runs, which is what a crash (OOM killer, power loss of the process) looks like.
        os.kill(os.getpid(), signal.SIGKILL)


__all__ = ["FAULT_ENV", "fault_point", "parse_fault"]
