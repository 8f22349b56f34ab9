"""`regionsok search QUERY` — hybrid semantic + keyword search from the command line."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import err_console, exit_on
from app.cli.remote import ServerOption, get_json
from regionsok.errors import QueryError, RegionsokError
from regionsok.records import Hit
from regionsok.settings import get_settings

if TYPE_CHECKING:
    from regionsok.records import SearchFilters
    from search.service import SearchResponse

EPILOG = """
Examples:

  regionsok search 'gambling addiction'

  regionsok search spelberoende --county 05 --kind agreement --since 2019-01-01

  regionsok search 'primary care funding' -k 5 --json

  regionsok search spelberoende --server http://127.0.0.1:8000   # ask a running `regionsok serve`

  regionsok search 'suicid' --focus suicide_prevention --target children_and_young_people

Exit codes: 0 answered (possibly with no results), 1 no index or model yet, 2 invalid query or filter.
"""


def _parse_date(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as err:
        raise QueryError(f"{option} must be a date YYYY-MM-DD, not {value!r}") from err


# The filters of `search`, shared with `export` (one definition, the same words in both --help).
CountyOption = Annotated[list[str] | None, typer.Option("--county", help="County code (05) or name; repeatable.")]
KindOption = Annotated[
    list[str] | None, typer.Option("--kind", help="press_release, agreement, decision, report or web_page; repeatable."),
]
SinceOption = Annotated[str | None, typer.Option("--since", help="Published on or after YYYY-MM-DD.")]
UntilOption = Annotated[str | None, typer.Option("--until", help="Published on or before YYYY-MM-DD.")]
LanguageOption = Annotated[str | None, typer.Option("--language", help="Document language: sv, en or other.")]
OrganisationOption = Annotated[
    list[str] | None, typer.Option("--organisation", help="Organisation named in the document; repeatable."),
]
PersonOption = Annotated[list[str] | None, typer.Option("--person", help="Person named; repeatable.")]
FocusOption = Annotated[list[str] | None, typer.Option("--focus", help="Focus area slug, e.g. gambling; repeatable.")]
TargetOption = Annotated[list[str] | None, typer.Option("--target", help="Target group slug, e.g. elderly; repeatable.")]
SortOption = Annotated[str, typer.Option("--sort", help="relevance (best first) or date (newest first).")]


def search_filters(
    county: list[str] | None = None, kind: list[str] | None = None, since: str | None = None,
    until: str | None = None, language: str | None = None, organisation: list[str] | None = None,
    person: list[str] | None = None, focus: list[str] | None = None, target: list[str] | None = None,
) -> SearchFilters:
    """The filter options as the search stage's record (QueryError on a bad county or date)."""
    from regionsok.records import SearchFilters
    from search.regions import county_code

    return SearchFilters(
        counties=tuple(county_code(c) for c in county or ()),
        kinds=tuple(kind or ()),
        since=_parse_date(since, "--since"),
        until=_parse_date(until, "--until"),
        language=language,
        organisations=tuple(organisation or ()),
        people=tuple(person or ()),
        focus_areas=tuple(focus or ()),
        target_groups=tuple(target or ()),
    )


def search(
    query: Annotated[str, typer.Argument(help="Words or a question, in Swedish or English.")],
    k: Annotated[int, typer.Option("-k", "--limit", help="How many documents to show.")] = 10,
    county: CountyOption = None,
    kind: KindOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    language: LanguageOption = None,
    organisation: OrganisationOption = None,
    person: PersonOption = None,
    focus: FocusOption = None,
    target: TargetOption = None,
    mode: Annotated[str, typer.Option("--mode", help="hybrid (default), vector or keyword.")] = "hybrid",
    sort: SortOption = "relevance",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    server: ServerOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Search the indexed documents; one result per document with its best passage."""
    from search.runtime import apply_process_settings
    from search.service import SearchRequest, SearchResponse, SearchService

    use_data_dir(data_dir)
    if server:
        if mode != "hybrid":
            err_console.print("[red]error:[/] --mode is for evaluation on a local index, not with --server")
            raise typer.Exit(2)
        params = [("q", query), ("k", str(k)), ("sort", sort)]
        for name, values in (("county", county), ("kind", kind), ("organisation", organisation),
                             ("person", person), ("focus", focus), ("target", target)):
            params += [(name, v) for v in values or ()]
        params += [(name, v) for name, v in (("since", since), ("until", until), ("lang", language)) if v]
        answer = get_json(server, "/search", params)
        hits = [_hit_of(result) for result in answer["results"]]
        response = SearchResponse(query=answer["query"], language=answer["language"], total=answer["total"],
                                  hits=hits, facets=answer.get("facets", {}))
        _print(response, as_json)
        return
    with exit_on({QueryError: 2, RegionsokError: 1}):
        filters = search_filters(county, kind, since, until, language, organisation, person, focus, target)
        request = SearchRequest(query=query, k=k, filters=filters, mode=mode, sort=sort)
        settings = get_settings()
        apply_process_settings(settings, "query")
        service = SearchService(settings)
        response = service.search(request)
    _print(response, as_json)


_HIT_FIELDS = {f.name for f in fields(Hit)}


def _hit_of(result: dict[str, Any]) -> Hit:
    """A result of the server's JSON as the Hit the local search would have given."""
    values: dict[str, Any] = {f: tuple(v) if isinstance(v, list) else v for f, v in result.items() if f in _HIT_FIELDS}
    return Hit(**values)


def _print(response: SearchResponse, as_json: bool) -> None:
    if as_json:
        results = [
            {
                "doc_id": h.doc_id, "url": h.url, "title": h.title, "kind": h.kind, "published": h.published,
                "counties": list(h.counties), "score": h.score, "snippet": h.snippet,
                "organisations": list(h.organisations), "people": list(h.people),
                "focus_areas": list(h.focus_areas), "target_groups": list(h.target_groups),
                "language": h.language,
            }
            for h in response.hits
        ]
        payload = {"query": response.query, "language": response.language, "total": response.total,
                   "results": results, "facets": response.facets}
        typer.echo(json.dumps(payload, ensure_ascii=False))
        return
    out = Console()
    if not response.hits:
        out.print(f"No documents match {response.query!r}.")
        return
    documents = "document" if response.total == 1 else "documents"
    table = Table(title=f"{response.query!r} ({response.language}): {response.total} {documents}", show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("score", justify="right")
    table.add_column("document")
    table.add_column("passage", ratio=2)
    for i, hit in enumerate(response.hits, start=1):
        meta = " · ".join(p for p in (hit.kind, hit.published or "", ", ".join(hit.counties)) if p)
        table.add_row(str(i), f"{hit.score:.4f}", f"[bold]{hit.title}[/]\n{meta}\n[dim]{hit.url}[/]", hit.snippet)
    out.print(table)


def register(app: typer.Typer) -> None:
    """Add `regionsok search`."""
    app.command(epilog=EPILOG)(search)
