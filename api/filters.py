"""The search parameters shared by `/search`, its export and the web page.

One place turns query-string parameters into a :class:`search.service.SearchRequest`, so
the three answer the same query the same way. Counties may be given as SCB codes ("05")
or names ("Östergötland", "Region Östergötland", "Östergötlands län"); an unknown county
is a QueryError (→ 422) naming the valid ones, before any search runs.

The OpenAPI schema tells the truth about what is accepted: counties, focus areas, target
groups, kinds and languages are enums (the county spellings and taxonomy slugs, read from
the package's data files), q must hold a visible character. Values only a data set can
judge (an organisation or person no document names, an empty date range) are not refused:
the answer is empty and carries a notice (:class:`api.schemas.common.Notice`).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Annotated, Literal

from fastapi import Query
from fastapi.openapi.models import Example
from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from api.schemas.common import Notice
from regionsok.errors import QueryError
from regionsok.records import DOCUMENT_KINDS, DocumentKind, SearchFilters
from regionsok.store import Store
from regionsok.text import fold
from search.hybrid import taxonomy_slugs
from search.people import name_score
from search.regions import county_code, county_spellings
from search.service import SearchRequest, validate_request

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
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")
#: The schema's rule for q and names: at least one character that is neither space nor control
#: (what clean_query keeps). Validators read patterns as JavaScript does (\\s there also means
#: U+FEFF, not U+0085), so both are spelled out and _CONTROL turns both into spaces.
VISIBLE_PATTERN = r"[^\s\x00-\x1f\x7f-\x9f\ufeff]"


def listed(values: list[str], what: str, hint: str | None = None) -> tuple[AfterValidator, WithJsonSchema]:
    """A string the schema limits to ``values`` and the API's request validation holds to exactly.

    The web page calls :func:`search_params` itself and keeps the forgiving lookups (a county
    in lower case, without å/ä/ö); an API client gets what the schema says.
    """
    allowed = frozenset(values)

    def check(value: str) -> str:
        if value not in allowed:
            shown = hint or ", ".join(values[:25]) + (", …" if len(values) > 25 else "")
            raise ValueError(f"unknown {what} {value!r}; one of {shown} (see /openapi.json)")
        return value

    return AfterValidator(check), WithJsonSchema(enum_schema(values))


def enum_schema(values: list[str]) -> dict[str, object]:
    """The JSON schema of a string that is one of ``values``."""
    return {"type": "string", "enum": values}


#: An optional day as it travels (absent = no bound): a string, never "date or null".
DAY_SCHEMA = WithJsonSchema({"type": "string", "format": "date"})


def repeatable(values: list[str] | None = None) -> WithJsonSchema:
    """The schema of a repeatable query parameter: an array (absent = none), never "array or null".

    Schema checkers read "array or null" in a query string ambiguously (a lone value can be
    either), so the optional list is described as what travels: zero or more values.
    """
    return WithJsonSchema({"type": "array", "items": enum_schema(values) if values else {"type": "string"}})


#: The county spellings the schema lists: codes, names, short names, "Region X", region names.
CountyValue = Annotated[str, *listed(
    list(county_spellings()), "county",
    "the SCB codes " + ", ".join(sorted(set(county_spellings().values()))) + " or a county's name as written")]
FOCUS_SLUGS = sorted(taxonomy_slugs("focus_area") or ())
TARGET_SLUGS = sorted(taxonomy_slugs("target_group") or ())
FocusValue = Annotated[str, *listed(FOCUS_SLUGS, "focus area")]
TargetValue = Annotated[str, *listed(TARGET_SLUGS, "target group")]


def clean_query(q: str) -> str:
    """The query without control characters and with single spaces; QueryError when empty."""
    cleaned = " ".join(_CONTROL.sub(" ", q).split())
    if not cleaned:
        raise QueryError("q: give some words to search for, e.g. 'spelberoende' or 'gambling addiction'")
    if len(cleaned) > MAX_QUERY_CHARS:
        raise QueryError(f"q: at most {MAX_QUERY_CHARS} characters (got {len(cleaned)})")
    return cleaned


def optional_query(q: str | None) -> str | None:
    """The cleaned query, or None when it holds nothing but spaces and control characters."""
    if q is None or not " ".join(_CONTROL.sub(" ", q).split()):
        return None
    return clean_query(q)


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
    #: Why the answer will be empty: filter values the data set lacks (set by :meth:`resolved`).
    notices: tuple[Notice, ...] = ()

    @classmethod
    def of(cls, *, q: str, k: int, page: int, county: list[str] | None, organisation: list[str] | None,
           person: list[str] | None, focus: list[str] | None, target: list[str] | None,
           kind: Sequence[str] | None, since: date | None, until: date | None, lang: str | None,
           sort: str) -> SearchParams:
        """The parameters from query-string values (repeated filters de-duplicated and cleaned)."""
        return cls(q=q, k=k, page=page, county=_values(county), organisation=_values(organisation),
                   person=_values(person), focus=_values(focus), target=_values(target),
                   kind=tuple(dict.fromkeys(kind or ())), since=since, until=until, lang=lang, sort=sort)

    def resolved(self, store: Store) -> SearchParams:
        """The same parameters with organisations and people as the store names them.

        An organisation matches when its folded name does ("region ostergotland"); a person
        matches like `/people` does (case, å/ä/ö and small misspellings forgiven). A value
        that matches nothing the documents mention stays as given (so it matches nothing)
        and adds a notice with suggestions, rather than a search that silently finds nothing.
        A reversed date range adds one too. :attr:`empty` is then true.
        """
        notices: list[Notice] = []
        organisations: list[str] = []
        if self.organisation:
            known = {fold(row["value"]): str(row["value"]) for row in store.facet_values("organisation")}
            for value in self.organisation:
                match = known.get(fold(value))
                if match is None:
                    close = difflib.get_close_matches(fold(value), list(known), n=3, cutoff=0.6)
                    hint = (f"did you mean {', '.join(repr(known[c]) for c in close)}?" if close
                            else "see /facets for the organisations the documents mention")
                    notices.append(Notice(parameter="organisation", value=value,
                                          message=f"organisation: unknown organisation {value!r}; {hint}"))
                organisations.append(match or value)
        people: list[str] = []
        if self.person:
            names = [str(row["value"]) for row in store.facet_values("person")]
            for value in self.person:
                best = max(((name_score(value, name), name) for name in names), default=(0.0, ""))
                if best[0] <= 0.0:
                    notices.append(Notice(parameter="person", value=value,
                                          message=f"person: nobody named {value!r} in the documents; "
                                                  "try /people?name=…"))
                people.append(best[1] if best[0] > 0.0 else value)
        if self.since and self.until and self.since > self.until:
            notices.append(Notice(parameter="since", value=self.since.isoformat(),
                                  message=f"since ({self.since}) is after until ({self.until}): no date is in between"))
        return replace(self, organisation=tuple(dict.fromkeys(organisations)), person=tuple(dict.fromkeys(people)),
                       notices=tuple(notices))

    def nothing_can_match(self) -> bool:
        """True when a notice says nothing can match (no search needs to run).

        Raises QueryError when another filter is invalid: a mistyped county is a 422 even
        when the answer would be empty anyway.
        """
        if not self.notices:
            return False

        validate_request(replace(self, since=None, until=None).to_request())
        return True

    def to_request(self, *, k: int | None = None, offset: int | None = None) -> SearchRequest:
        """The service's request (its validation is the service's: ``validate_request``)."""
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


async def search_params(
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUERY_CHARS,
            pattern=VISIBLE_PATTERN,
            description="Words or a question, Swedish or English.",
            examples=["gambling addiction"],
            openapi_examples=QUERY_EXAMPLES,
        ),
    ],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="Results per page.")] = 10,
    page: Annotated[int, Query(ge=1, le=MAX_PAGE, description="1-based page number.")] = 1,
    county: Annotated[
        list[CountyValue] | None,
        repeatable(list(county_spellings())),
        Query(description="County (län): SCB code or name; repeat for several.", examples=[["05"]]),
    ] = None,
    organisation: Annotated[
        list[str] | None,
        repeatable(),
        Query(description="Organisation name; one no document names gives no results and a notice.",
              examples=[["Region Östergötland"]]),
    ] = None,
    person: Annotated[
        list[str] | None,
        repeatable(),
        Query(description="Person's name (misspellings forgiven); nobody by that name gives no results and a notice.",
              examples=[["Torbjörn Holmqvist"]]),
    ] = None,
    focus: Annotated[
        list[FocusValue] | None,
        repeatable(FOCUS_SLUGS),
        Query(description="Focus-area slug (see /facets).", examples=[["gambling"]]),
    ] = None,
    target: Annotated[
        list[TargetValue] | None, repeatable(TARGET_SLUGS),
        Query(description="Target-group slug."),
    ] = None,
    kind: Annotated[
        list[DocumentKind] | None, repeatable(list(DOCUMENT_KINDS)),
        Query(description="Document kind."),
    ] = None,
    since: Annotated[
        date | None, DAY_SCHEMA, Query(description="Published on or after (YYYY-MM-DD)."), BeforeValidator(_iso_day)
    ] = None,
    until: Annotated[
        date | None, DAY_SCHEMA, Query(description="Published on or before (YYYY-MM-DD)."), BeforeValidator(_iso_day)
    ] = None,
    lang: Annotated[
        Literal["sv", "en", "other"] | None,
        WithJsonSchema(enum_schema(["sv", "en", "other"])),
        Query(description="Only documents in this language."),
    ] = None,
    sort: Annotated[
        Literal["relevance", "date"], Query(description="relevance (best first) or date (newest first).")
    ] = "relevance",
) -> SearchParams:
    """FastAPI dependency: the validated query string of a search.

    ``async`` because it only validates: FastAPI runs a plain ``def`` dependency on its thread
    pool, and each such hop costs a search about half a millisecond on two cores.
    """
    return SearchParams.of(q=q, k=k, page=page, county=county, organisation=organisation, person=person,
                           focus=focus, target=target, kind=kind, since=since, until=until, lang=lang, sort=sort)
