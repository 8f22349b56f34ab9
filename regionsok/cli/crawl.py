"""`regionsok crawl` — placeholder until its issue lands (replaced by the owning module)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    pass
