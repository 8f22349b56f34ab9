"""`regionsok stats` — what the store holds."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from app.cli import DataDirOption, use_data_dir
from regionsok.store import open_store


def stats(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Counts of pages, documents, versions, extractions and chunks, by kind and language."""
    use_data_dir(data_dir)
    with open_store() as store:
        figures = store.stats()
        figures["last_nightly"] = store.last_run("nightly")
    out = Console()
    if as_json:
        out.print_json(json.dumps(figures, ensure_ascii=False, default=str))
        return
    table = Table(title="Regionsök store", show_header=False)
    for key, value in figures.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k}: {v}" for k, v in value.items()) or "–"
        table.add_row(key.replace("_", " "), str(value if value is not None else "–"))
    out.print(table)


def register(app: typer.Typer) -> None:
    app.command(epilog="Example: regionsok stats --json")(stats)
