"""The `regionsok` command line: one module per subcommand, each with ``register(app)``.

Commands are thin: parse, call one stage function, format. Exit codes: 0 all ok,
1 some inputs failed (each listed with its reason), 2 usage error, 3 another run holds the
lock (``index``, ``nightly``, ``demo``; ``regionsok.locks.LOCKED_EXIT_CODE``).
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Annotated

import typer

from regionsok.log import configure_logging
from regionsok.settings import override_settings

app = typer.Typer(
    name="regionsok",
    help=(
        "Regionsök: crawl Swedish regions', kommuner's and kommunalförbunds' sites, extract what "
        "their agreements (överenskommelser) and press releases say, and search them.\n\n"
        "Typical use:\n\n"
        "  regionsok ingest tests/fixtures/html/     # files or folders (.html/.pdf/.txt), extracted as stored\n\n"
        "  regionsok index                           # chunk, embed and index new documents\n\n"
        "  regionsok search 'gambling addiction'     # hybrid search\n\n"
        "  regionsok regions 'gambling addiction'    # which counties (län) address it, with evidence\n\n"
        "  regionsok people 'Torbjörn Holmqvist'     # what a politician said or signed\n\n"
        "  regionsok nightly                         # crawl → ingest → extract → index, incremental\n\n"
        "  regionsok serve                           # API and web page on http://127.0.0.1:8000/\n\n"
        "Everything is written under one data directory: --data-dir or REGIONSOK_DATA_DIR "
        "(default ./data).\n\n"
        "Exit codes: 0 ok, 1 some inputs failed, 2 usage error, 3 another run holds the lock."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

_DATA_DIR_HELP = ("Directory for the store, indexes and run reports [default: ./data]; the model is shared "
                  "(REGIONSOK_MODEL_DIR).")
#: A command's --data-dir. Only given on the command line: REGIONSOK_DATA_DIR is read by the
#: settings (and shown by the root option), so it never overrides `regionsok --data-dir X cmd`.
DataDirOption = Annotated[Path | None, typer.Option("--data-dir", help=_DATA_DIR_HELP, show_default=False)]
_RootDataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", envvar="REGIONSOK_DATA_DIR", help=_DATA_DIR_HELP, show_default=False)
]


def use_data_dir(data_dir: Path | None) -> None:
    """Apply a command's --data-dir (every command takes one)."""
    if data_dir is not None:
        override_settings(data_dir=data_dir)


@app.callback()
def _root(
    data_dir: _RootDataDirOption = None,
    log_format: Annotated[
        str,
        typer.Option("--log-format", envvar="REGIONSOK_LOG_FORMAT",
                     help="'text' for people, 'json' for log collectors."),
    ] = "text",
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
) -> None:
    use_data_dir(data_dir)
    override_settings(log_format=log_format)  # children get it too (settings.child_environment)
    configure_logging(log_format=log_format, verbose=verbose)


_COMMAND_MODULES = (
    "ingest",
    "stats",
    "export",
    "model",
    "extract",
    "index",
    "embed_worker",
    "search",
    "crawl",
    "sources",
    "nightly",
    "serve",
    "regions",
    "people",
    "demo",
)

for _name in _COMMAND_MODULES:
    importlib.import_module(f"app.cli.{_name}").register(app)


def main() -> None:
    """Console-script entry point."""
    app()
