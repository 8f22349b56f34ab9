"""`regionsok crawl` — fetch the sources of a sources file into the store, then ingest and extract."""

from __future__ import annotations

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

What was fetched is ingested and extracted before the command ends; `regionsok index` then
makes it searchable. `regionsok nightly` does all of it (and the index) in one go.

Exit 0 unless every source failed (1), or the sources file is invalid (2).
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
        report = run_crawl(settings, sources, tuple(source or ()))
    print_crawl_summary(report)
    # What the crawler stored becomes documents, extracted, before the command ends.
    with open_store() as store:
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


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(crawl)
