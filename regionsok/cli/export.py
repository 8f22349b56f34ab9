"""`regionsok export` — documents with their metadata, as CSV or JSON Lines."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from regionsok.cli import DataDirOption, use_data_dir
from regionsok.csvcells import csv_cell
from regionsok.store import Store, open_store

FIELDS = ("doc_id", "url", "urls", "title", "kind", "language", "published", "site_name", "source",
          "county_code", "counties", "organisations", "people", "focus_areas", "target_groups",
          "version", "first_seen", "last_changed", "removed_at", "text")


def document_records(store: Store, *, include_text: bool = True) -> list[dict[str, Any]]:
    """Every live document with its metadata and extracted entities, for export."""
    records = []
    for row in store.iter_documents():
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
    fmt: Annotated[str, typer.Option("--format", help="csv or jsonl.")] = "jsonl",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write [default: stdout].")] = None,
    with_text: Annotated[bool, typer.Option("--text/--no-text", help="Include the full text.")] = True,
    excel: Annotated[bool, typer.Option(
        "--excel", help="CSV for Swedish Excel: semicolon-separated, UTF-8 with BOM (implies --format csv).",
    )] = False,
    delimiter: Annotated[str, typer.Option("--delimiter", help="CSV field separator: ',' or ';'.")] = ",",
    data_dir: DataDirOption = None,
) -> None:
    """Export documents with metadata (for spreadsheets, R, pandas)."""
    if excel:
        fmt, delimiter = "csv", ";"
    if fmt not in ("csv", "jsonl"):
        typer.echo(f"error: --format must be csv or jsonl, not {fmt!r}", err=True)
        raise typer.Exit(2)
    if delimiter not in (",", ";"):
        typer.echo(f"error: --delimiter must be ',' or ';', not {delimiter!r}", err=True)
        raise typer.Exit(2)
    use_data_dir(data_dir)
    with open_store() as store:
        records = document_records(store, include_text=with_text)
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
    app.command(epilog="Examples: regionsok export --format csv -o documents.csv; regionsok export --excel -o dokument.csv")(export)
