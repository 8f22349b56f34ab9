"""Where a search spends its time, stage by stage, for `/metrics` and the benches.

The service records each search's stages (filter, embed, vector, keyword, fuse, facets, fetch) in
one :class:`SearchTimings` per process: a count, a sum and a latency histogram per stage,
which ``/metrics`` prints in Prometheus' text format and ``bench/api_load.py`` reads before
and after a run to print the breakdown. Recording is a lock and a few additions: cheap next
to any stage.
"""

from __future__ import annotations

import bisect
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

#: The stages of a search, in the order they run (see ``SearchService.search``).
STAGES = ("filter", "embed", "vector", "keyword", "fuse", "facets", "fetch")
#: Histogram bucket bounds in seconds (Prometheus ``le``): 1 ms to 10 s.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass(slots=True)
class _Series:
    count: int = 0
    total: float = 0.0
    buckets: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        index = bisect.bisect_left(BUCKETS, seconds)
        if index < len(BUCKETS):
            self.buckets[index] += 1


class SearchTimings:
    """Per-stage latency of the searches this process answered (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stages: dict[str, _Series] = {name: _Series() for name in (*STAGES, "total")}
        self.query_cache_hits = 0
        self.query_cache_misses = 0

    def add(self, stage: str, seconds: float) -> None:
        with self._lock:
            self._stages.setdefault(stage, _Series()).add(seconds)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """``with timings.stage("keyword"): …`` records how long the block took."""
        started = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)

    def count_query_cache(self, hit: bool) -> None:
        with self._lock:
            if hit:
                self.query_cache_hits += 1
            else:
                self.query_cache_misses += 1

    def snapshot(self) -> dict[str, dict[str, float]]:
        """stage → ``{"count", "seconds"}`` so far (the benches diff two snapshots)."""
        with self._lock:
            return {name: {"count": s.count, "seconds": s.total} for name, s in self._stages.items()}

    def prometheus(self) -> str:
        """The counters in Prometheus' text exposition format (version 0.0.4)."""
        with self._lock:
            lines = [
                "# HELP regionsok_search_stage_seconds Time spent in each stage of a search.",
                "# TYPE regionsok_search_stage_seconds histogram",
            ]
            for name, series in self._stages.items():
                cumulative = 0
                for bound, n in zip(BUCKETS, series.buckets, strict=True):
                    cumulative += n
                    lines.append(f'regionsok_search_stage_seconds_bucket{{stage="{name}",le="{bound}"}} {cumulative}')
                lines.append(f'regionsok_search_stage_seconds_bucket{{stage="{name}",le="+Inf"}} {series.count}')
                lines.append(f'regionsok_search_stage_seconds_sum{{stage="{name}"}} {series.total:.6f}')
                lines.append(f'regionsok_search_stage_seconds_count{{stage="{name}"}} {series.count}')
            lines += [
                "# HELP regionsok_query_vector_cache_total Query embeddings served from the cache or computed.",
                "# TYPE regionsok_query_vector_cache_total counter",
                f'regionsok_query_vector_cache_total{{result="hit"}} {self.query_cache_hits}',
                f'regionsok_query_vector_cache_total{{result="miss"}} {self.query_cache_misses}',
            ]
        return "\n".join(lines) + "\n"


def parse_prometheus(text: str) -> dict[str, dict[str, float]]:
    """stage → ``{"count", "seconds"}`` from :meth:`SearchTimings.prometheus` output (for benches)."""
    out: dict[str, dict[str, float]] = {}
    for line in text.splitlines():
        for suffix, key in (("_sum", "seconds"), ("_count", "count")):
            prefix = f"regionsok_search_stage_seconds{suffix}{{stage=\""
            if line.startswith(prefix):
                stage, _, value = line[len(prefix):].partition('"} ')
                out.setdefault(stage, {})[key] = float(value)
    return out


__all__ = ["BUCKETS", "STAGES", "SearchTimings", "parse_prometheus"]
