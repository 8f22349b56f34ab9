"""`regionsok ingest` — files, folders or a JSON Lines file into the store."""

from __future__ import annotations

import json
from typing import Annotated
from urllib.parse import unquote

import typer
from rich.console import Console

from app.cli import DataDirOption, use_data_dir
from app.cli.inputs import InputPaths, JsonlOption, require_inputs
from app.cli.progress import exit_on, progress_bar
from regionsok.errors import ConfigError
from regionsok.store import open_store

EPILOG = """
Examples:

  regionsok ingest tests/fixtures/html/            # every .html/.htm/.pdf/.txt below a folder

  regionsok ingest avtal.pdf pressmeddelande.html

  regionsok ingest --jsonl records.jsonl           # {"id"?, "url", "title"?, "text"|"html", "published"?}

Every new or changed document is extracted (people, parties, counties, organisations, dates,
focus areas, target groups) before the command ends; `regionsok index` then makes it
searchable. Re-ingesting unchanged input writes nothing; a changed text becomes a new version and the
old version is kept. Exit 0 when every input was ingested, 1 when some failed (each is
listed with its reason), 2 on a usage error.
"""


def ingest(
    paths: InputPaths = None,
    jsonl: JsonlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Ingest files, folders or JSON Lines records into the store."""
    from ingest.nlp import PIPELINE_VERSION
    from ingest.pipeline import IngestReport, expand_paths, extract_pending, ingest_jsonl, ingest_paths

    use_data_dir(data_dir)
    require_inputs(paths, jsonl)
    report = IngestReport()
    with open_store() as store:
        if paths:
            files = expand_paths(paths, report.skipped)  # every other file of a folder, with why
            with progress_bar("ingest", len(files)) as advance:
                # expand_paths leaves a list of files as it is: the folders are walked once.
                _merge(report, ingest_paths(store, files, progress=advance, extract=False))
        if jsonl is not None:
            with exit_on({ConfigError: 2}), progress_bar("ingest jsonl", None) as advance:
                _merge(report, ingest_jsonl(store, jsonl, progress=advance, extract=False))
        # Extraction is part of storing a document: one NLP pass over everything that changed.
        with progress_bar("extract", store.documents_awaiting_extraction(PIPELINE_VERSION)) as advance:
            report.extracted = extract_pending(store, progress=advance)
    out = Console()
    if as_json:
        out.print_json(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        typer.echo(  # one plain line (not wrapped to the terminal): logs and scripts read it
            f"ingested: {report.new} new, {report.changed} changed, {report.unchanged} unchanged, "
            f"{report.duplicate} duplicate, {len(report.failed)} failed, {len(report.skipped)} skipped; "
            f"{report.extracted} extracted"
        )
        for failure in report.failed:
            typer.echo(f"  failed {display_name(failure.source)}: {failure.reason}")
        for skipped in report.skipped:
            typer.echo(f"  {display_name(skipped.source)}: {skipped.reason}")
    raise typer.Exit(1 if report.failed else 0)


def display_name(source: str) -> str:
    """A file:// URI as the path the user typed; URLs and JSONL positions as they are."""
    return unquote(source.removeprefix("file://")) if source.startswith("file://") else source


def _merge(into: object, part: object) -> None:
    for name in ("new", "changed", "unchanged", "duplicate"):
        setattr(into, name, getattr(into, name) + getattr(part, name))
    into.failed.extend(part.failed)  # type: ignore[attr-defined]
    into.skipped.extend(part.skipped)  # type: ignore[attr-defined]
    into.doc_ids |= part.doc_ids  # type: ignore[attr-defined]


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(ingest)
