"""`GET /people`: a person's parties, roles, documents and quotes."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import StoreDep
from api.filters import VISIBLE_PATTERN
from api.schemas.common import ERROR_RESPONSES, Notice
from api.schemas.people import PeopleAnswer, PersonDocument, PersonEntry
from regionsok.store import Store
from search.people import MAX_NAME_CHARS, PersonAnswer, find_people, has_letter

router = APIRouter(tags=["people"])


def entry_of(person: PersonAnswer) -> PersonEntry:
    """The API's view of one person (shared with the web page and the CLI)."""
    return PersonEntry(
        name=person.name,
        score=person.score,
        parties=list(person.parties),
        roles=list(person.roles),
        counties=list(person.counties),
        role_counties={role: list(codes) for role, codes in person.role_counties.items()},
        documents=[
            PersonDocument(
                doc_id=d.doc_id, url=d.url, title=d.title, published=d.published, kind=d.kind,
                quote=d.quotes[0] if d.quotes else None, quotes=list(d.quotes),
            )
            for d in person.documents
        ],
    )


def people_answer(store: Store, name: str, *, limit: int = 10) -> PeopleAnswer:
    """People named ``name``, as `/people` answers (shared with the web page and the CLI).

    Raises QueryError on an empty or over-long name. A name with no letters ("!!!", "42")
    matches nobody: no people and a notice.
    """
    if name.split() and not has_letter(name):
        return PeopleAnswer(query=name, people=[], notices=[Notice(
            parameter="name", value=name, message="name: give a person's name with letters, e.g. 'Holmqvist'")])
    return PeopleAnswer(query=name, people=[entry_of(p) for p in find_people(store, name, limit=limit)])


@router.get("/people", response_model=PeopleAnswer, responses=ERROR_RESPONSES)
def people(
    store: StoreDep,
    name: Annotated[
        str,
        Query(min_length=1, max_length=MAX_NAME_CHARS, pattern=VISIBLE_PATTERN,
              description="A name; case, å/ä/ö and small misspellings do not matter. One with no letters "
              "matches nobody (no people, and a notice).",
              examples=["Torbjörn Holmqvist"],
              openapi_examples={
                  "full": {"summary": "A full name", "value": "Torbjörn Holmqvist"},
                  "ascii": {"summary": "Without å/ä/ö", "value": "Akesson"},
              }),
    ],
    limit: Annotated[int, Query(ge=1, le=50, description="At most this many people.")] = 10,
) -> PeopleAnswer:
    """People whose names match, best first, with the documents they appear in and their quotes."""
    return people_answer(store, name, limit=limit)
