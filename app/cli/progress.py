"""Progress bars, stage lines and error exits for the CLI, all on stderr (rich; bars are quiet
when stderr is not a terminal)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

err_console = Console(stderr=True)


@contextmanager
def progress_bar(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """Yields ``advance(n)``; draws a bar on stderr while the block runs."""
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
        console=err_console, transient=True, disable=not err_console.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(n: int = 1) -> None:
            bar.advance(task, n)

        yield advance


def print_stage(stage: str) -> None:
    """``→ stage`` on stderr as a nightly stage starts (the ``on_stage`` of app.jobs.nightly)."""
    err_console.print(f"[bold]→ {stage}[/]")


@contextmanager
def exit_on(codes: Mapping[type[Exception], int]) -> Iterator[None]:
    """Turn an error raised in the block into ``error: …`` on stderr and that exit code.

    ``codes`` maps error classes to exit codes; the first class (in order) that the error is
    an instance of decides, so list subclasses before their bases. Other errors pass through.
    """
    try:
        yield
    except tuple(codes) as err:
        code = next(c for kind, c in codes.items() if isinstance(err, kind))
        err_console.print(f"[red]error:[/] {err}")
        raise typer.Exit(code) from err
