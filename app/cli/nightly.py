"""`regionsok nightly` — crawl → ingest → extract → index, the job cron or systemd runs."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli import DataDirOption, use_data_dir
from app.cli.crawl import SourcesOption, print_crawl_summary
from app.cli.progress import exit_on, print_stage

EPILOG = """
Examples:

  regionsok nightly                                 # the shipped crawler/sources.toml

  regionsok --data-dir /var/lib/regionsok nightly --sources /etc/regionsok/sources.toml

Only new and changed pages are ingested, extracted and embedded; the search index is swapped atomically at the end, so a run killed half-way leaves search serving the previous index and the next run completes the work.

A lock (nightly.lock in the data directory) keeps two runs from overlapping. A JSON run report is written to DATA_DIR/runs/.

Exit 0 when the run completed, 1 when every source failed or a stage failed, 2 for a bad sources file, 3 when another run holds the lock.
"""


def print_nightly_summary(report: object, console: Console) -> None:
    from app.jobs import NightlyReport

    assert isinstance(report, NightlyReport)
    if report.crawl is not None:
        print_crawl_summary(report.crawl, console)
    table = Table(title="Nightly", show_header=False)
    ingest = report.ingest.to_json() if report.ingest else {}
    table.add_row("ingest", ", ".join(f"{k}: {len(v) if isinstance(v, list) else v}" for k, v in ingest.items())
                  or "–")
    extract = {"documents": report.extracted} if report.extracted is not None else {}
    table.add_row("extract", ", ".join(f"{k}: {v}" for k, v in extract.items()) or "–")
    index = report.index.to_json() if report.index else {}
    table.add_row("index", ", ".join(f"{k}: {index[k]}" for k in ("documents_indexed", "documents_removed",
                                                                   "chunks_embedded", "index_version")
                                     if k in index) or "–")
    for stage, reason in report.stage_errors.items():
        table.add_row(f"[red]{stage} failed[/]", reason)
    table.add_row("seconds", ", ".join(f"{k}: {v}" for k, v in report.seconds.items()))
    console.print(table)


def nightly(
    sources: SourcesOption = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Only this source (repeatable).")] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Crawl, ingest, extract and index (incremental; one run at a time)."""
    from app.jobs import nightly as run_nightly
    from regionsok.errors import ConfigError, LockedError
    from regionsok.locks import LOCKED_EXIT_CODE
    from regionsok.settings import get_settings
    from search.runtime import apply_process_settings

    use_data_dir(data_dir)
    settings = get_settings()
    apply_process_settings(settings, "build")
    with exit_on({ConfigError: 2, LockedError: LOCKED_EXIT_CODE}):
        report = run_nightly(settings, sources, only=tuple(source or ()), on_stage=print_stage)
    console = Console()
    print_nightly_summary(report, console)
    typer.echo(f"run report: {settings.runs_dir / (report.run_id + '.json')}")
    raise typer.Exit(0 if report.ok else 1)


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(nightly)
