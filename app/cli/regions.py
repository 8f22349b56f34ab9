"""`regionsok regions QUERY` — which counties (län) address a topic, with evidence."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import exit_on
from app.cli.remote import ServerOption, get_json

EPILOG = """
Examples:

  regionsok regions 'gambling addiction'

  regionsok regions spelberoende --json

  regionsok regions 'suicide prevention' --server http://127.0.0.1:8000   # ask a running server

Exit 0 with an answer (possibly no county), 1 when there is no index yet, 2 on an invalid query.
"""


def regions(
    query: Annotated[str, typer.Argument(help="A topic or question, Swedish or English.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (as GET /regions).")] = False,
    server: ServerOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Which regions address a topic: counties strongest first, each with evidence."""
    from api.routes.regions import answer_of
    from api.schemas.regions import RegionsAnswer
    from regionsok.errors import QueryError, RegionsokError
    from regionsok.settings import get_settings
    from regionsok.store import open_store
    from search.regions import which_regions
    from search.runtime import apply_process_settings
    from search.service import SearchService

    use_data_dir(data_dir)
    settings = get_settings()
    if server:
        answer = RegionsAnswer.model_validate(get_json(server, "/regions", [("q", query)]))
    else:
        # RegionsokError: no index or model yet, a broken store: say so, no traceback
        with exit_on({QueryError: 2, RegionsokError: 1}), open_store(settings.db_path) as store:
            apply_process_settings(settings, "query")
            answer = answer_of(which_regions(SearchService(settings), store, query))
    if as_json:
        typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2))
        return
    if answer.focus_areas:
        typer.echo(f"focus areas: {', '.join(answer.focus_areas)}")
    if not answer.counties:
        typer.echo("no county has evidence for this")
    for county in answer.counties:
        typer.echo(f"{county.code} {county.name}: {county.documents} document(s)")
        for evidence in county.evidence:
            typer.echo(f"    {evidence.title}  {evidence.url}")
            typer.echo(f"      {evidence.snippet}")


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(regions)
