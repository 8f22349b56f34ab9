"""The nightly job: crawl → ingest → extract → index, one run at a time, with a run report.

``nightly(settings, sources_file)`` sits above all stages and calls each one's entry point:

1. ``crawler.run.crawl`` — every source; one failing source never stops the others;
2. ``ingest.pipeline.ingest_pending_pages`` — only pages whose body changed;
3. ``ingest.pipeline.extract_pending`` — only documents whose text or pipeline changed;
4. ``search.indexer.update_index`` — embeds only new chunks and swaps the index generation
   atomically, so a run killed at any point leaves search serving the previous index.

An exclusive lock on ``<data dir>/nightly.lock`` keeps two runs from overlapping (the OS
drops it when a process dies, so a killed run never blocks the next). The run report is
written as JSON to ``<data dir>/runs/<run id>.json`` after every stage (``stage`` says how
far it got) and saved in the store's ``runs`` table at the start and the end.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from crawler.report import CrawlReport
from crawler.run import crawl
from crawler.sources import load_sources
from ingest.pipeline import IngestReport, extract_pending, ingest_pending_pages
from regionsok.errors import RegionsokError
from regionsok.faults import fault_point
from regionsok.jsonfile import write_json_atomic
from regionsok.locks import exclusive_lock
from regionsok.settings import Settings
from regionsok.store import Store
from regionsok.timefmt import utcnow
from search.indexer import IndexReport, index_lock, update_index

logger = logging.getLogger(__name__)

STAGES = ("crawl", "ingest", "extract", "index")
#: ``on_stage(stage)`` is called as each stage starts ("crawl", "ingest", "extract", "index").
StageCallback = Callable[[str], None]
T = TypeVar("T")


@dataclass(slots=True)
class NightlyReport:
    """What one nightly run did, stage by stage.

    ``ok`` is False when every source failed or a whole stage failed (its reason is in
    ``stage_errors``); single pages that fail are counted in the stage reports instead.
    """

    run_id: str
    started_at: str
    finished_at: str | None = None
    stage: str = "starting"  # the stage running now, or "done"
    crawl: CrawlReport | None = None
    ingest: IngestReport | None = None
    extracted: int | None = None  # documents the NLP (re)extracted
    index: IndexReport | None = None
    stage_errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        crawl_failed = self.crawl is None or self.crawl.all_failed
        return not crawl_failed and not self.stage_errors

    def to_json(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "command": "nightly",
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "stage": self.stage,
            "ok": self.ok if self.finished_at else None,
            "crawl": self.crawl.to_json() if self.crawl is not None else None,
            "ingest": self.ingest.to_json() if self.ingest is not None else None,
            "extract": {"documents": self.extracted} if self.extracted is not None else None,
            "index": self.index.to_json() if self.index is not None else None,
            "stage_errors": self.stage_errors,
            "seconds": self.seconds,
        }


def nightly_lock(data_dir: Path) -> AbstractContextManager[None]:
    """Hold the nightly lock, or raise LockedError at once when another run holds it."""
    return exclusive_lock(
        data_dir / "nightly.lock", f"another nightly run is going on in {data_dir} (lock: nightly.lock)"
    )


def write_run_report(runs_dir: Path, run_id: str, report: dict[str, Any]) -> Path:
    """Write a run report atomically to ``runs_dir/<run_id>.json``; returns the path."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    path = runs_dir / f"{run_id}.json"
    write_json_atomic(path, report, default=str)
    return path


def new_run_id(command: str) -> str:
    return f"{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}-{command}-{os.getpid()}"


def nightly(
    settings: Settings,
    sources_file: Path | str | None = None,
    *,
    only: tuple[str, ...] = (),
    on_stage: StageCallback | None = None,
) -> NightlyReport:
    """Run crawl → ingest → extract → index under the nightly lock (see the module docstring).

    Raises ConfigError for a bad sources file (before anything runs) and LockedError when
    another run holds the lock. Everything else is recorded in the report.
    """
    load_sources(sources_file).select(only)  # a bad file stops the run before it starts
    with nightly_lock(settings.data_dir):
        report = NightlyReport(run_id=new_run_id("nightly"), started_at=utcnow())
        with Store.open(settings.db_path) as store:
            store.save_run(report.run_id, "nightly", report.started_at, None, None, report.to_json())

        def stage(name: str) -> None:
            report.stage = name
            write_run_report(settings.runs_dir, report.run_id, report.to_json())
            if on_stage:
                on_stage(name)
            logger.info("nightly stage", extra={"run_id": report.run_id, "stage": name})
            fault_point(f"nightly.{name}")

        started = time.monotonic()
        stage("crawl")
        try:
            report.crawl = crawl(settings, sources_file, only)
        except RegionsokError as err:
            report.stage_errors["crawl"] = str(err)
        report.seconds["crawl"] = round(time.monotonic() - started, 3)

        with Store.open(settings.db_path) as store:
            # The extract stage right after ingest runs the NLP, so its time and count are reported apart.
            report.ingest = _run_stage(report, "ingest", stage, lambda: ingest_pending_pages(store, extract=False))
            report.extracted = _run_stage(report, "extract", stage, lambda: extract_pending(store))
            report.index = _run_stage(report, "index", stage, lambda: _index(store, settings))
            report.stage = "done"
            report.finished_at = utcnow()
            store.save_run(report.run_id, "nightly", report.started_at, report.finished_at, report.ok,
                           report.to_json())
        write_run_report(settings.runs_dir, report.run_id, report.to_json())
        logger.info("nightly finished", extra={"run_id": report.run_id, "ok": report.ok})
        return report


def _run_stage(report: NightlyReport, name: str, stage: Callable[[str], None], work: Callable[[], T]) -> T | None:
    """Run one stage's ``work``; a RegionsokError is recorded as the stage's error (None returned)."""
    stage(name)
    started = time.monotonic()
    try:
        return work()
    except RegionsokError as err:
        report.stage_errors[name] = str(err)
        logger.error("nightly stage failed", extra={"stage": name, "reason": str(err)})
        return None
    finally:
        report.seconds[name] = round(time.monotonic() - started, 3)


def _index(store: Store, settings: Settings) -> IndexReport:
    # A manual `regionsok index` may hold the lock: wait for it (bounded) rather than fail;
    # update_index takes the same lock again, which this process then already holds.
    with index_lock(settings.index_dir, wait_seconds=settings.index_lock_wait_seconds):
        return update_index(store, settings)


__all__ = ["NightlyReport", "STAGES", "new_run_id", "nightly", "nightly_lock", "write_run_report"]
