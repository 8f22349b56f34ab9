"""Process-wide state: the numeric libraries' thread counts, and loads done once per process.

FAISS's OpenMP pool and torch's intra-op pool are per *process*: a library function that
sets them changes every other caller's speed behind its back. So nothing in the stages
sets them; each entry point (a CLI command that searches or indexes, the server and its
workers, a bench script) calls :func:`apply_process_settings` once with what the process
mostly does:

- ``query``: a server or a search command. One query's vector search is a few milliseconds
  on one thread and a few short queries are too small to split (torch: 160 ms → 22 ms per
  query on 2 shared cores with one thread); a second thread mostly waits for a core, and
  the server's parallelism is its concurrent requests. FAISS and torch get
  ``settings.query_threads``. The int8 runtime's threads stop waiting for work as soon as a
  query's embedding returns (ONNX Runtime's threads otherwise spin for a while after each run,
  on the core the vector search, the keyword side and the HTTP layer need next: on two cores a
  county-filtered search's vector stage went from p90 4 ms to 14 ms behind them).
- ``build``: indexing (``index``, ``nightly``). Embedding is the bottleneck; FAISS's HNSW
  inserts and torch use ``settings.compute_threads`` (0: every core; torch defaults to half
  of them on some builds).

The ONNX Runtime and OpenVINO sessions take their thread count per session, read from the
same record (:func:`thread_counts`) when they load, as does torch, which is imported only
when its backend loads (a second of start-up the graph backends do not pay).
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, Literal, TypeVar

import faiss
from threadpoolctl import threadpool_limits

from regionsok.settings import Settings

Workload = Literal["query", "build"]


@dataclass(frozen=True, slots=True)
class ThreadCounts:
    """Threads each library may use in this process."""

    faiss: int
    torch: int
    graph: int  # ONNX Runtime intra-op threads and OpenVINO inference threads
    # Whether the graph runtime's threads keep spinning after a run, waiting for the next one:
    # right for back-to-back batches (indexing), wrong for a query followed by other work.
    graph_spin_between_runs: bool = True


def _cores(configured: int) -> int:
    return configured if configured > 0 else (os.cpu_count() or 1)


def counts_for(settings: Settings, workload: Workload) -> ThreadCounts:
    """The thread counts ``settings`` give a process doing ``workload``."""
    compute = _cores(settings.compute_threads)
    if workload == "query":
        return ThreadCounts(faiss=settings.query_threads, torch=settings.query_threads, graph=compute,
                            graph_spin_between_runs=False)
    return ThreadCounts(faiss=compute, torch=compute, graph=compute)


_lock = threading.Lock()
_applied: ThreadCounts | None = None


def apply_process_settings(settings: Settings, workload: Workload = "query") -> ThreadCounts:
    """Set the libraries' thread counts for this process; calling it again with the same is a no-op."""
    global _applied
    counts = counts_for(settings, workload)
    with _lock:
        if counts == _applied:
            return counts
        faiss.omp_set_num_threads(counts.faiss)
        # numpy's BLAS (the exact scoring of a filter's vectors, the relevance floor's background)
        # follows FAISS: a search server runs searches side by side, and a two-thread BLAS call on
        # a busy machine stalls on whichever of its threads is not scheduled.
        threadpool_limits(counts.faiss, user_api="blas")
        torch = sys.modules.get("torch")
        if torch is not None:
            torch.set_num_threads(counts.torch)
        _applied = counts
    return counts


def warm_page_cache(paths: Iterable[Path], block: int = 16 << 20) -> int:
    """Read files through once so their pages are in the page cache; returns bytes read.

    A memory-mapped index is read lazily: on a cold cache (after a reboot, or a build that
    pushed it out) the first searches fault its pages in at random from the disk, one at a time
    (seconds a search for a million-chunk HNSW graph). One sequential read at load costs about
    a second a gigabyte, and every process that maps the files shares the cached pages.
    """
    total = 0
    for path in paths:
        try:
            with open(path, "rb", buffering=0) as fh:
                while chunk := fh.read(block):
                    total += len(chunk)
        except OSError:  # a missing file is the loader's error to report, not this one's
            continue
    return total


def thread_counts() -> ThreadCounts:
    """The counts applied in this process; every core for each library if no entry point applied any."""
    if _applied is not None:
        return _applied
    cores = _cores(0)
    return ThreadCounts(faiss=cores, torch=cores, graph=cores)


def configure_torch(torch: Any) -> None:
    """Give torch, imported just now by its backend, the process's count."""
    torch.set_num_threads(thread_counts().torch)


K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_MISSING: Any = object()


class LoadOnce(Generic[K, V]):
    """Values loaded at most once per key in this process, however many threads ask at once.

    ``functools.lru_cache`` around a locked loader does not do this: two threads that miss
    the cache together both run the loader, one after the other (two 500 MB model loads). Here
    the check is repeated under the lock. A load that raises keeps nothing, so the next call
    tries again instead of repeating a stale failure. Loads hold ``lock`` (share one between
    caches whose loads must not overlap); hits take no lock. At most ``max_entries`` values
    are kept, the oldest dropped first.
    """

    def __init__(self, *, lock: threading.Lock | None = None, max_entries: int = 8) -> None:
        self._lock = lock or threading.Lock()
        self._values: dict[K, V] = {}
        self._max_entries = max_entries

    def get(self, key: K, load: Callable[[], V]) -> V:
        value = self._values.get(key, _MISSING)
        if value is not _MISSING:
            return value  # type: ignore[no-any-return]
        with self._lock:
            value = self._values.get(key, _MISSING)
            if value is _MISSING:
                value = load()
                while len(self._values) >= self._max_entries:
                    del self._values[next(iter(self._values))]
                self._values[key] = value
        return value  # type: ignore[no-any-return]
