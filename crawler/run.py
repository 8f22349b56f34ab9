"""``crawl(settings, sources_file, only)``: the crawler stage's entry point.

The crawl runs in a child process (:mod:`crawler.process`): Twisted's reactor cannot be
restarted inside one process, and a child keeps Scrapy's signal handling and logging away
from the caller (the nightly job, the demo's web server, the tests). The child writes into
the same store and hands back a :class:`~crawler.report.CrawlReport` as JSON. If the caller
dies, the child is killed with it (Linux), so no orphan crawl writes on behind a killed job.
"""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from crawler.errors import CrawlError
from crawler.report import CrawlReport, SourceReport
from crawler.sources import load_sources
from regionsok.settings import Settings, child_environment

logger = logging.getLogger(__name__)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def crawl(settings: Settings, sources_file: Path | str | None = None, only: Sequence[str] = ()) -> CrawlReport:
    """Crawl the sources of ``sources_file`` (the shipped one when None), or only those named.

    Raises ConfigError for a bad sources file or an unknown name (before any request), and
    CrawlError when the crawl process could not run or the shared frontier
    (``settings.crawl_queue``, see :mod:`crawler.frontier`) does not answer.
    """
    sources_path = Path(sources_file) if sources_file is not None else None
    load_sources(sources_path).select(tuple(only))  # validate here: clear errors, no child
    if settings.crawl_queue:
        from crawler.frontier import check_frontier

        check_frontier(settings.crawl_queue)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="crawl-", dir=settings.data_dir) as tmp:
        report_path = Path(tmp) / "report.json"
        command = [sys.executable, "-m", "crawler.process", "--report", str(report_path)]
        if sources_path is not None:
            command += ["--sources", str(sources_path.resolve())]
        for name in only:
            command += ["--only", name]
        # The child gets these settings whole (a setting added later reaches it too).
        env = child_environment(settings.model_copy(update={"data_dir": settings.data_dir.resolve()}))
        preexec = _die_with_parent if sys.platform.startswith("linux") else None
        logger.info("crawl started", extra={"sources": str(sources_path or "shipped"), "only": list(only)})
        result = subprocess.run(command, env=env, preexec_fn=preexec, check=False)
        try:
            data = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise CrawlError(f"the crawl process exited with status {result.returncode} without a report") from err
    if "error" in data:
        raise CrawlError(data["error"])
    report = CrawlReport.from_json(data)
    logger.info("crawl finished", extra=report.totals())
    return report


__all__ = ["CrawlReport", "SourceReport", "crawl"]
