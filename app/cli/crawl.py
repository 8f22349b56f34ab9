"""`regionsok crawl` — fetch the sources of a sources file into the store, then ingest and extract."""

from __future__ import annotations

from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import exit_on

if TYPE_CHECKING:
    from crawler.report import CrawlReport

EPILOG = """
Examples:

  regionsok crawl                                   # every enabled source in crawler/sources.toml

  regionsok crawl --source region-uppsala-mynewsdesk --source skr-agreements

  regionsok crawl --sources my-sources.toml         # any file of the same form

Pages are fetched politely (robots.txt, AutoThrottle, at most 2 requests at a time per site) and conditionally: an unchanged page answers 304 and costs nothing.

Several workers, on one machine or many, crawl the sources once between them through a
shared frontier in Redis (REGIONSOK_CRAWL_QUEUE=redis://host:6379/0):

  regionsok crawl --worker                          # the same command (same sources) in each worker

The first worker of a run hands the start pages to the frontier; the others join it. A
worker ends when the frontier is empty and no worker holds a page in flight; a worker
started after that starts the next run. Every URL is fetched once across the workers; per
site, at most 2 requests are on the wire at a time and requests are spaced by the site's
AutoThrottle delay, in total; a killed worker's pages go back to the frontier for the
others. Workers write to the store of their data directory: with the SQLite store, run them
on one machine with one data directory (each ingests what is pending when it ends, one at a
time). With REGIONSOK_CRAWL_QUEUE set, a plain `regionsok crawl` (and `regionsok nightly`)
is such a worker too.

What was fetched is ingested and extracted before the command ends; `regionsok index` then
makes it searchable. `regionsok nightly` does all of it (and the index) in one go.

Exit 0 unless every source failed (1), or the sources file is invalid or --worker is
given without REGIONSOK_CRAWL_QUEUE (2).
"""

SourcesOption = Annotated[
    Path | None,
    typer.Option("--sources", help="A sources.toml file (default: the shipped crawler/sources.toml).",
                 show_default=False),
]


def print_crawl_summary(report: CrawlReport, console: Console | None = None) -> None:
    """The per-source table: fetched, not modified, new, changed, removed, failed."""
    table = Table(title="Crawl", show_lines=False)
    table.add_column("source", overflow="fold")
    for column in ("fetched", "not modified", "new", "changed", "removed", "failed"):
        table.add_column(column, justify="right")
    table.add_column("")
    for source in report.sources:
        note = "[green]ok[/]" if source.ok else f"[red]failed[/] {source.error or ''}".rstrip()
        table.add_row(source.name, str(source.fetched), str(source.not_modified), str(source.new),
                      str(source.changed), str(source.removed), str(source.failed), note)
    totals = report.totals()
    table.add_row("[b]all[/]", *(str(totals[k]) for k in ("fetched", "not_modified", "new", "changed",
                                                          "removed", "failed")), "")
    (console or Console()).print(table)


def crawl(
    sources: SourcesOption = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Crawl only this source (repeatable).")] = None,
    data_dir: DataDirOption = None,
    worker: Annotated[bool, typer.Option(
        "--worker", help="Crawl as one of several workers sharing the frontier in REGIONSOK_CRAWL_QUEUE.",
    )] = False,
) -> None:
    """Crawl the sources into the store (conditional requests; changed pages become new versions)."""
    from app.jobs import new_run_id, write_run_report
    from crawler.run import crawl as run_crawl
    from ingest.pipeline import ingest_pending_pages
    from regionsok.errors import ConfigError, RegionsokError
    from regionsok.settings import get_settings
    from regionsok.store import open_store, utcnow

    use_data_dir(data_dir)
    settings = get_settings()
    started = utcnow()
    with exit_on({ConfigError: 2, RegionsokError: 1}):
        if worker and not settings.crawl_queue:
            raise ConfigError("--worker needs a shared frontier: set REGIONSOK_CRAWL_QUEUE=redis://host:6379/0")
        report = run_crawl(settings, sources, tuple(source or ()))
    print_crawl_summary(report)
    # What the crawler stored becomes documents, extracted, before the command ends. Workers
    # sharing this data directory take turns (the next finds what the first left: nothing).
    with exit_on({RegionsokError: 1}), _ingest_turn(settings.data_dir), open_store() as store:
        ingested = ingest_pending_pages(store)
    typer.echo(
        f"ingested: {ingested.new} new, {ingested.changed} changed, {len(ingested.failed)} failed; "
        f"{ingested.extracted} extracted"
    )
    run_id = new_run_id("crawl")
    finished = utcnow()
    data = {"run_id": run_id, "command": "crawl", "started_at": started, "finished_at": finished,
            "ok": not report.all_failed, "crawl": report.to_json(), "ingest": ingested.to_json()}
    path = write_run_report(settings.runs_dir, run_id, data)
    with open_store() as store:
        store.save_run(run_id, "crawl", started, finished, not report.all_failed, data)
    typer.echo(f"run report: {path}")
    raise typer.Exit(1 if report.all_failed else 0)


def _ingest_turn(data_dir: Path) -> AbstractContextManager[None]:
    from regionsok.locks import exclusive_lock

    return exclusive_lock(data_dir / "crawl-ingest.lock", f"another crawl is ingesting in {data_dir}",
                          wait_seconds=3600)


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(crawl)
