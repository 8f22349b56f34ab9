"""The search parameters shared by `/search`, its export and the web page.

One place turns query-string parameters into a :class:`search.service.SearchRequest`, so
the three answer the same query the same way. Counties may be given as SCB codes ("05")
or names ("Östergötland", "Region Östergötland", "Östergötlands län"); an unknown county
is a QueryError (→ 422) naming the valid ones, before any search runs.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Query
from fastapi.openapi.models import Example
from pydantic import BeforeValidator

from regionsok.errors import QueryError
from regionsok.records import DocumentKind
from regionsok.store import Store
from regionsok.text import fold
from search.people import name_score
from search.regions import county_code

if TYPE_CHECKING:
    from search.service import SearchRequest

MAX_QUERY_CHARS = 500
#: Shown in the OpenAPI docs' "Try it out" (Swagger UI reads parameter-level examples).
QUERY_EXAMPLES: dict[str, Example] = {
    "english": {"summary": "An English question", "value": "gambling addiction"},
    "swedish": {"summary": "A Swedish topic", "value": "psykisk hälsa barn och unga"},
}
MAX_K = 100
MAX_PAGE = 100
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_query(q: str) -> str:
    """The query without control characters and with single spaces; QueryError when empty."""
    cleaned = " ".join(_CONTROL.sub(" ", q).split())
    if not cleaned:
        raise QueryError("q: give some words to search for, e.g. 'spelberoende' or 'gambling addiction'")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(f"q: at most {MAX_QUERY_CHARS} characters (got {len(cleaned)})")
    return cleaned


def _iso_day(value: object) -> object:
    """Only YYYY-MM-DD is a date here (pydantic alone would read "0" as 1970-01-01)."""
    if isinstance(value, str) and not _ISO_DAY.fullmatch(value):
        raise ValueError("a date as YYYY-MM-DD")
    return value


def _values(values: list[str] | None) -> tuple[str, ...]:
    """Non-empty, de-duplicated, control-character-free filter values."""
    out: dict[str, None] = {}
    for value in values or ():
        cleaned = " ".join(_CONTROL.sub(" ", value).split())
        if cleaned:
            out[cleaned] = None
    return tuple(out)


@dataclass(frozen=True, slots=True)
class SearchParams:
    """The query string of a search, validated by FastAPI (bounds) and here (values)."""

    q: str
    k: int
    page: int
    county: tuple[str, ...]
    organisation: tuple[str, ...]
    person: tuple[str, ...]
    focus: tuple[str, ...]
    target: tuple[str, ...]
    kind: tuple[str, ...]
    since: date | None
    until: date | None
    lang: str | None
    sort: str = "relevance"

    def resolved(self, store: Store) -> SearchParams:
        """The same parameters with organisations and people as the store names them.

        An organisation matches when its folded name does ("region ostergotland"); a person
        matches like `/people` does (case, å/ä/ö and small misspellings forgiven). A value
        that matches nothing the documents mention is a QueryError (→ 422) with suggestions,
        rather than a search that silently finds nothing.
        """
        organisations: list[str] = []
        if self.organisation:
            known = {fold(row["value"]): str(row["value"]) for row in store.facet_values("organisation")}
            for value in self.organisation:
                match = known.get(fold(value))
                if match is None:
                    close = difflib.get_close_matches(fold(value), list(known), n=3, cutoff=0.6)
                    hint = (f"did you mean {', '.join(repr(known[c]) for c in close)}?" if close
                            else "see /facets for the organisations the documents mention")
                    raise QueryError(f"organisation: unknown organisation {value!r}; {hint}")
                organisations.append(match)
        people: list[str] = []
        if self.person:
            names = [str(row["value"]) for row in store.facet_values("person")]
            for value in self.person:
                scored = [(name_score(value, name), name) for name in names]
                best = max(scored, default=(0.0, ""))
                if best[0] <= 0.0:
                    raise QueryError(f"person: nobody named {value!r} in the documents; try /people?name=…")
                people.append(best[1])
        return replace(self, organisation=tuple(dict.fromkeys(organisations)), person=tuple(dict.fromkeys(people)))

    def to_request(self, *, k: int | None = None, offset: int | None = None) -> SearchRequest:
        from search.service import SearchFilters, SearchRequest

        if self.since and self.until and self.since > self.until:
            raise QueryError(f"since ({self.since}) is after until ({self.until})")
        filters = SearchFilters(
            counties=tuple(dict.fromkeys(county_code(c) for c in self.county)),
            kinds=self.kind,
            since=self.since,
            until=self.until,
            language=self.lang,
            organisations=self.organisation,
            people=self.person,
            focus_areas=self.focus,
            target_groups=self.target,
        )
        size = k if k is not None else self.k
        start = offset if offset is not None else (self.page - 1) * self.k
        return SearchRequest(query=clean_query(self.q), k=size, offset=start, filters=filters, sort=self.sort)


def search_params(
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            description="Words or a question, Swedish or English.",
            examples=["gambling addiction"],
            openapi_examples=QUERY_EXAMPLES,
        ),
    ],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="Results per page.")] = 10,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number.")] = 1,
    county: Annotated[
        list[str] | None,
        Query(description="County (län): SCB code or name; repeat for several.", examples=[["05"]]),
    ] = None,
    organisation: Annotated[
        list[str] | None, Query(description="Organisation name.", examples=[["Region Östergötland"]])
    ] = None,
    person: Annotated[
        list[str] | None, Query(description="Person's name.", examples=[["Torbjörn Holmqvist"]])
    ] = None,
    focus: Annotated[
        list[str] | None, Query(description="Focus-area slug (see /facets).", examples=[["gambling"]])
    ] = None,
    target: Annotated[list[str] | None, Query(description="Target-group slug.")] = None,
    kind: Annotated[list[DocumentKind] | None, Query(description="Document kind.")] = None,
    since: Annotated[
        date | None, Query(description="Published on or after (YYYY-MM-DD)."), BeforeValidator(_iso_day)
    ] = None,
    until: Annotated[
        date | None, Query(description="Published on or before (YYYY-MM-DD)."), BeforeValidator(_iso_day)
    ] = None,
    lang: Annotated[
        Literal["sv", "en", "other"] | None, Query(description="Only documents in this language.")
    ] = None,
    sort: Annotated[
        Literal["relevance", "date"], Query(description="relevance (best first) or date (newest first).")
    ] = "relevance",
) -> SearchParams:
    """FastAPI dependency: the validated query string of a search."""
    return SearchParams(
        q=q,
        k=k,
        page=page,
        county=_values(county),
        organisation=_values(organisation),
        person=_values(person),
        focus=_values(focus),
        target=_values(target),
        kind=tuple(dict.fromkeys(kind or ())),
        since=since,
        until=until,
        lang=lang,
        sort=sort,
    )
