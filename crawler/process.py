"""The crawl process: ``python -m crawler.process --sources FILE --report OUT [--only NAME]...``.

Started by :func:`crawler.run.crawl`. Scrapy runs on Twisted's reactor, which cannot be
started twice in one process, so each crawl gets a fresh process: the nightly job, the demo
and the tests can crawl as often as they like. All sources of the run are crawled at once,
one Scrapy crawler each; a source that cannot start or whose every request fails is
reported failed while the others go on. The report is written atomically as JSON.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path
from typing import Any

from crawler.items import KnownPage
from crawler.report import COUNTERS, CrawlReport, SourceReport
from crawler.settings import scrapy_settings
from crawler.sources import Source, load_sources
from crawler.spiders import spider_for
from crawler.spiders.generic import STAT_PREFIX
from regionsok.errors import RegionsokError
from regionsok.jsonfile import write_json_atomic
from regionsok.log import configure_logging
from regionsok.settings import Settings, get_settings
from regionsok.store import Store
from regionsok.timefmt import parse_timestamp

logger = logging.getLogger(__name__)


def _source_report(source: Source, stats: dict[str, Any], errors: list[str], seconds: float) -> SourceReport:
    report = SourceReport(name=source.name, seconds=round(seconds, 3), errors=errors)
    for key, value in stats.items():
        if not key.startswith(STAT_PREFIX):
            continue
        name = key.removeprefix(STAT_PREFIX)
        if name.startswith("dropped/"):
            report.dropped[name.removeprefix("dropped/")] = int(value)
        elif name in COUNTERS:
            setattr(report, name, int(value))
    return report


def _known_pages(store: Store, source: str) -> dict[str, KnownPage]:
    return {
        row["url"]: KnownPage(
            etag=row["etag"],
            last_modified=row["last_modified"],
            checked_at=parse_timestamp(row["checked_at"]),
            listing=bool(row["listing"]),
        )
        for row in store.known_pages(source)
    }


def _quiet_scrapy() -> None:
    # Our log handler stays; Scrapy's per-request chatter goes down to warnings.
    for name in ("scrapy", "twisted", "protego", "py.warnings", "asyncio"):
        logging.getLogger(name).setLevel(logging.WARNING)


def run_crawl(settings: Settings, sources_file: Path | None, only: list[str]) -> CrawlReport:
    """Crawl in this process (call once per process: the reactor cannot restart)."""
    from scrapy.crawler import CrawlerProcess

    loaded = load_sources(sources_file)
    selected = loaded.select(only)
    with Store.open(settings.db_path) as store:
        known = {s.name: _known_pages(store, s.name) for s in selected}
    logging.disable(logging.INFO)  # Scrapy logs its version table while it starts
    try:
        process = CrawlerProcess(scrapy_settings(settings, loaded.policy))
    finally:
        logging.disable(logging.NOTSET)
    _quiet_scrapy()
    started = time.monotonic()
    runs: list[tuple[Source, Any]] = []
    failures: dict[str, str] = {}
    finished: dict[str, float] = {}
    for source in selected:
        try:
            crawler = process.create_crawler(spider_for(source.platform))
        except Exception as err:  # a broken source must not stop the others
            failures[source.name] = f"{type(err).__name__}: {err}"
            continue
        runs.append((source, crawler))

        def _failed(failure: Any, name: str = source.name) -> None:
            failures[name] = f"{failure.type.__name__}: {failure.getErrorMessage()}"

        def _done(result: Any, name: str = source.name) -> Any:
            finished[name] = time.monotonic() - started
            return result

        deferred = process.crawl(crawler, source=source, policy=loaded.policy, known=known[source.name])
        deferred.addErrback(_failed)
        deferred.addBoth(_done)
    if runs:
        process.start(install_signal_handlers=False)
    reports = []
    for source in selected:
        ran = next((c for s, c in runs if s is source), None)
        stats = ran.stats.get_stats() if ran is not None and ran.stats is not None else {}
        spider = getattr(ran, "spider", None)
        errors = list(getattr(spider, "errors", []))
        report = _source_report(source, stats, errors, finished.get(source.name, 0.0))
        # A worker that lost its shared frontier (crawler.frontier) stopped that source early.
        report.error = failures.get(source.name) or getattr(spider, "frontier_error", None)
        reports.append(report)
    return CrawlReport(sources=reports, seconds=round(time.monotonic() - started, 3))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m crawler.process", description=__doc__)
    parser.add_argument("--sources", type=Path, default=None)
    parser.add_argument("--only", action="append", default=[])
    parser.add_argument("--report", type=Path, required=True)
    args = parser.parse_args(argv)

    settings = get_settings()  # the parent's, whole (regionsok.settings.child_environment)
    configure_logging(log_format=settings.log_format, verbose=False)
    _quiet_scrapy()
    try:
        report = run_crawl(settings, args.sources, args.only)
    except RegionsokError as err:
        write_json_atomic(args.report, {"error": str(err)})
        return 2
    write_json_atomic(args.report, report.to_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
