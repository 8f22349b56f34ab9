"""`regionsok people NAME` — a person's parties, roles, documents and quotes."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from app.cli import DataDirOption, use_data_dir
from app.cli.progress import exit_on
from app.cli.remote import ServerOption, get_json

EPILOG = """
Examples:

  regionsok people 'Torbjörn Holmqvist'

  regionsok people akesson --json         # case, å/ä/ö and small misspellings do not matter

Exit 0 with an answer (possibly nobody), 2 on an invalid name.
"""


def people(
    name: Annotated[str, typer.Argument(help="A person's name (or surname).")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON (as GET /people).")] = False,
    server: ServerOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Everything a person said or signed: documents, parties, roles and quotes."""
    from api.routes.people import people_answer
    from api.schemas.people import PeopleAnswer
    from regionsok.errors import QueryError, RegionsokError
    from regionsok.settings import get_settings
    from regionsok.store import open_store

    use_data_dir(data_dir)
    if server:
        answer = PeopleAnswer.model_validate(get_json(server, "/people", [("name", name)]))
    else:
        # RegionsokError: e.g. the store cannot be opened: say so, no traceback
        with exit_on({QueryError: 2, RegionsokError: 1}), open_store(get_settings().db_path) as store:
            answer = people_answer(store, name)
    if as_json:
        typer.echo(json.dumps(answer.model_dump(), ensure_ascii=False, indent=2))
        return
    if not answer.people:
        typer.echo(answer.notices[0].message if answer.notices else "nobody by that name")
    for person in answer.people:
        parties = ", ".join(person.parties) or "-"
        roles = "; ".join(person.roles) or "-"
        typer.echo(f"{person.name} ({parties}) — {roles}")
        for doc in person.documents:
            typer.echo(f"    {doc.published or '????-??-??'}  {doc.title}  {doc.url}")
            for quote in doc.quotes:
                typer.echo(f"      ”{quote}”")


def register(app: typer.Typer) -> None:
    app.command(epilog=EPILOG)(people)
