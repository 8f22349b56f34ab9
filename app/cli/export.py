"""`regionsok export` — documents with their metadata, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import exit_on
from app.cli.search import (
    CountyOption,
    FocusOption,
    KindOption,
    LanguageOption,
    OrganisationOption,
    PersonOption,
    SinceOption,
    SortOption,
    TargetOption,
    UntilOption,
    search_filters,
)
from regionsok.csvcells import csv_cell
from regionsok.errors import QueryError, RegionsokError
from regionsok.settings import get_settings
from regionsok.store import Store, open_store

FIELDS = ("doc_id", "url", "urls", "title", "kind", "language", "published", "site_name", "source",
          "county_code", "counties", "organisations", "people", "focus_areas", "target_groups",
          "version", "first_seen", "last_changed", "removed_at", "text")


def document_records(store: Store, *, include_text: bool = True,
                     doc_ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Live documents (all, or ``doc_ids`` in that order) with metadata and extracted entities."""
    records = []
    if doc_ids is None:
        rows = list(store.iter_documents())
    else:
        by_id = {row["doc_id"]: row for row in store.iter_documents() if row["doc_id"] in set(doc_ids)}
        rows = [by_id[d] for d in doc_ids if d in by_id]
    for row in rows:
        extraction = store.get_extraction(row["doc_id"])
        record: dict[str, Any] = {key: row[key] for key in row.keys() if key in FIELDS}
        record["urls"] = store.document_urls(row["doc_id"])
        record["counties"] = list(extraction.counties) if extraction else []
        record["organisations"] = list(extraction.organisations) if extraction else []
        record["people"] = [p.name for p in extraction.people] if extraction else []
        record["focus_areas"] = list(extraction.focus_areas) if extraction else []
        record["target_groups"] = list(extraction.target_groups) if extraction else []
        if not include_text:
            record.pop("text", None)
        records.append(record)
    return records


def export(
    query: Annotated[str | None, typer.Argument(
        help="Export only this search's results, best first (the same query and filters as `search`).",
        show_default=False)] = None,
    county: CountyOption = None,
    kind: KindOption = None,
    since: SinceOption = None,
    until: UntilOption = None,
    language: LanguageOption = None,
    organisation: OrganisationOption = None,
    person: PersonOption = None,
    focus: FocusOption = None,
    target: TargetOption = None,
    sort: SortOption = "relevance",
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write [default: stdout].")] = None,
    with_text: Annotated[bool, typer.Option("--text/--no-text", help="Include the full text.")] = True,
    excel: Annotated[bool, typer.Option(
        "--excel", help="CSV for Swedish Excel: semicolon-separated, UTF-8 with BOM (implies --format csv).",
    )] = False,
    delimiter: Annotated[str, typer.Option("--delimiter", help="CSV field separator: ',' or ';'.")] = ",",
    data_dir: DataDirOption = None,
) -> None:
    """Export documents with metadata (for spreadsheets, R, pandas): all of them, or a search's results.

    With QUERY, only the documents the search counts as results, in its order (filters as in
    `search`: --county, --kind, --since, --until, --language, --organisation, --person,
    --focus, --target; --sort date for newest first). Without it, every live document.
    """
    if excel:
        fmt, delimiter = "csv", ";"
    if fmt not in ("csv", "jsonl"):
        typer.echo(f"error: --format must be csv or jsonl, not {fmt!r}", err=True)
        raise typer.Exit(2)
    if delimiter not in (",", ";"):
        typer.echo(f"error: --delimiter must be ',' or ';', not {delimiter!r}", err=True)
        raise typer.Exit(2)
    use_data_dir(data_dir)
    from search.runtime import apply_process_settings
    from search.service import SearchRequest, SearchService, all_result_ids

    filtering = any((county, kind, since, until, language, organisation, person, focus, target))
    if query is None and filtering:
        typer.echo("error: the filters narrow a search: give a QUERY too (see --help)", err=True)
        raise typer.Exit(2)
    with open_store() as store:
        if query is None:
            records = document_records(store, include_text=with_text)
        else:
            with exit_on({QueryError: 2, RegionsokError: 1}):
                filters = search_filters(county, kind, since, until, language, organisation, person, focus, target)
                request = SearchRequest(query=query, filters=filters, sort=sort)
                settings = get_settings()
                apply_process_settings(settings, "query")
                doc_ids = all_result_ids(SearchService(settings), request)
            records = document_records(store, include_text=with_text, doc_ids=doc_ids)
    handle = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        # Excel reads a semicolon list as columns only in a file it knows is UTF-8 (the BOM).
        if fmt == "csv" and delimiter == ";":
            handle.write("\ufeff")
        write_records(records, handle, fmt, delimiter=delimiter)  # type: ignore[arg-type]
    finally:
        if output:
            handle.close()


def write_records(
    records: list[dict[str, Any]], handle: Any, fmt: Literal["csv", "jsonl"], *, delimiter: str = ",",
) -> None:
    """Write records as CSV (lists joined with '; ', formulas neutralised) or JSON Lines."""
    if fmt == "jsonl":
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
        return
    columns = [f for f in FIELDS if not records or f in records[0]]
    writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore", delimiter=delimiter)
    writer.writeheader()
    for record in records:
        writer.writerow({k: csv_cell(v) for k, v in record.items()})


def register(app: typer.Typer) -> None:
    app.command(epilog=(
        "Examples: regionsok export --format csv -o documents.csv; regionsok export --excel -o dokument.csv; "
        "regionsok export spelberoende --county 08 --excel -o spel-kalmar.csv"
    ))(export)
