"""`regionsok serve` — the API and web page on http://HOST:PORT/ (uvicorn)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from app.cli import DataDirOption, use_data_dir

EPILOG = """
Examples:

  regionsok serve                         # http://127.0.0.1:8000/  (web page at /, API docs at /docs)

  regionsok --data-dir data serve --port 8080

  regionsok serve --workers 2             # two processes answer searches at once (needs 2+ cores)

  regionsok serve --port 0 --port-file /run/regionsok.port   # any free port, written to the file

The server reads the store and index under the data directory and serves a new index
after a nightly run without a restart.
"""


def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind (loopback by default).")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=0, max=65535, help="TCP port; 0 lets the system pick a free one.")
    ] = 8000,
    workers: Annotated[
        int,
        typer.Option(
            "--workers", min=1, max=64,
            help="Worker processes. One process answers one search at a time; each worker holds its "
            "own model and index in memory (about 1 GB at 100k chunks), so use up to one per core.",
        ),
    ] = 1,
    port_file: Annotated[
        Path | None,
        typer.Option("--port-file", help="Write the bound port to this file once the server listens.",
                     dir_okay=False),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Serve the search API and the web page."""
    from api.server import serve as run_server
    from regionsok.settings import get_settings

    use_data_dir(data_dir)
    try:
        run_server(get_settings(), host=host, port=port, workers=workers, port_file=port_file)
    except OSError as exc:
        typer.echo(f"Cannot listen on {host}:{port}: {exc.strerror or exc}. / Kan inte lyssna på {host}:{port}.",
                   err=True)
        raise typer.Exit(1) from exc


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(serve)
