"""What `ingest` and `extract` both read: files and folders, and/or one JSON Lines file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli.progress import err_console

InputPaths = Annotated[list[Path] | None, typer.Argument(help="Files or folders (.html/.htm/.pdf/.txt).")]
JsonlOption = Annotated[Path | None, typer.Option("--jsonl", help="A JSON Lines file of records.")]


def require_inputs(paths: list[Path] | None, jsonl: Path | None) -> None:
    """A usage error (exit 2) when neither PATH… nor --jsonl is given."""
    if not paths and jsonl is None:
        err_console.print("[red]error:[/] give PATH... and/or --jsonl FILE (see --help)")
        raise typer.Exit(2)
