"""`regionsok sources check` — is each crawl source still where the sources file says?"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli import DataDirOption, use_data_dir
from app.cli.crawl import SourcesOption
from app.cli.progress import err_console, exit_on

if TYPE_CHECKING:
    from crawler.check import SourceCheck

sources_app = typer.Typer(
    name="sources",
    help=(
        "The crawl sources (crawler/sources.toml or --sources FILE).\n\n"
        "Examples:\n\n"
        "  regionsok sources check                              # every source of the shipped file\n\n"
        "  regionsok sources check --source region-uppsala-mynewsdesk\n\n"
        "  regionsok sources check --sources my-sources.toml --write   # record verified/checked/note"
    ),
    no_args_is_help=True,
)


@sources_app.command("check")
def check(
    sources: SourcesOption = None,
    source: Annotated[list[str] | None, typer.Option("--source", help="Check only this source (repeatable).")] = None,
    write: Annotated[bool, typer.Option("--write", help="Record verified, checked and note in the sources file.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object a source.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Fetch each source's robots.txt, start pages and a few articles, politely, and say what is wrong.

    For each source: reachable or not, where it redirects to (a retired domain reported with its
    new address), the press-room platform it is on, how many article links its start page has,
    whether sampled articles answer, and a suggested fix. Requests follow the file's crawl policy
    (delay per host, timeout) and identify as the crawler (REGIONSOK_USER_AGENT).

    Exit codes: 0 every checked source is fine, 1 some need a fix (listed), 2 a bad sources file.
    """
    from crawler.check import check_sources, write_results
    from crawler.sources import default_sources_path, load_sources
    from regionsok.errors import ConfigError
    from regionsok.settings import get_settings

    use_data_dir(data_dir)
    with exit_on({ConfigError: 2}):
        loaded = load_sources(sources)

    def show(result: SourceCheck) -> None:
        if as_json:
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
        else:
            mark = "[green]ok[/]" if result.ok else "[yellow]fix[/]"
            err_console.print(f"{mark} {result.name}: {result.suggestion}")

    with exit_on({ConfigError: 2}):
        results = check_sources(loaded, source or (), get_settings().user_agent, progress=show)
    if not as_json:
        _table(results)
    if write:
        path = Path(sources) if sources else default_sources_path()
        write_results(path, results)
        err_console.print(f"recorded in {path}")
    raise typer.Exit(0 if all(r.ok for r in results) else 1)


def _table(results: list[SourceCheck]) -> None:
    table = Table(title="Sources check")
    for column in ("source", "reachable", "redirected to", "platform", "articles", "suggested fix"):
        table.add_column(column, overflow="fold")
    for r in results:
        table.add_row(r.name, "yes" if r.reachable else f"no ({r.status or r.error})", r.redirected_to or "–",
                      r.platform_seen or r.platform or "–", f"{r.articles_seen} ({r.articles_ok}/{len(r.sample)} ok)",
                      r.suggestion)
    Console().print(table)


def register(app: typer.Typer) -> None:
    """Add `regionsok sources check`."""
    app.add_typer(sources_app, name="sources")
