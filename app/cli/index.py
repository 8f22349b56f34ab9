"""`regionsok index` — chunk, embed and index new or changed documents; drop removed ones."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import err_console
from regionsok.errors import LockedError, RegionsokError
from regionsok.locks import LOCKED_EXIT_CODE
from regionsok.settings import get_settings, override_settings
from regionsok.store import open_store

_STAGES = {"plan": "planning", "embed": "embedding chunks", "write": "writing index", "swap": "publishing",
           "commit": "committing"}


def index(
    data_dir: DataDirOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the run report as one JSON object.")] = False,
    embed_timeout: Annotated[float | None, typer.Option(
        "--embed-timeout", min=1, show_default=False,
        help="With REGIONSOK_EMBED_QUEUE set (embedding by `regionsok embed-worker` processes): fail "
        "when no worker finishes a batch for this many seconds (default: REGIONSOK_EMBED_WAIT_SECONDS, 600).",
    )] = None,
) -> None:
    """Bring the search index up to date with the store.

    Only new and changed documents are chunked and embedded (unchanged chunks keep their vectors); removed documents leave the index. The new index is written beside the old one and swapped in atomically, so searches keep working during (and after a crash of) this command; a killed run is simply completed by the next one.

    With REGIONSOK_EMBED_QUEUE set, the chunks are embedded by `regionsok embed-worker` processes (see its --help): this command sends them in batches, waits for the workers (saying which it sees) and publishes the index itself; it fails when no batch finishes for --embed-timeout seconds.

    Exit codes: 0 done, 1 the model or index could not be used (or no embed worker finished a batch in time), 3 another run holds the index lock.

    Examples:

      regionsok index

      regionsok --data-dir /srv/regionsok index --json
    """
    from search.indexer import update_index
    from search.runtime import apply_process_settings

    use_data_dir(data_dir)
    if embed_timeout is not None:
        override_settings(embed_wait_seconds=embed_timeout)
    settings = get_settings()
    apply_process_settings(settings, "build")
    try:
        with open_store() as store, Progress(
            TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
            console=err_console, transient=True, disable=not err_console.is_terminal,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
                bar.update(tasks[stage], completed=done, total=total)

            report = update_index(store, settings, progress=progress)
    except LockedError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(LOCKED_EXIT_CODE) from err
    except RegionsokError as err:
        typer.echo(f"error: {err}", err=True)
        raise typer.Exit(1) from err
    if as_json:
        typer.echo(json.dumps(report.to_json()))
        return
    if not (report.documents_indexed or report.documents_removed or report.chunks_embedded or report.chunks_removed):
        if report.keyword_added:  # an index from an older Regionsök, or a new normaliser or taxonomy
            typer.echo(f"keyword index rebuilt ({report.keyword_added} chunks): version {report.index_version}, "
                       f"{report.vectors} vectors ({report.index_kind}) in {report.seconds:.1f} s")
            return
        typer.echo(f"index is up to date: version {report.index_version}, {report.vectors} vectors ({report.index_kind})")
        return
    typer.echo(
        f"indexed {report.documents_indexed} documents ({report.chunks_embedded} chunks embedded), "
        f"removed {report.documents_removed} documents ({report.chunks_removed} chunks); "
        f"index version {report.index_version}: {report.vectors} vectors ({report.index_kind}), "
        f"{report.keyword_rows} keyword rows{' (rebuilt)' if report.keyword_rebuilt else ''} in {report.seconds:.1f} s"
    )


def register(app: typer.Typer) -> None:
    """Add `regionsok index`."""
    app.command(epilog="Example: regionsok index --json")(index)
