"""The web page: search, "which regions", people and documents, server-rendered (Jinja2).

For journalists and researchers who do not want to read JSON. Pages are plain HTML forms
and links (facet filters are links that add a parameter), so they work without
JavaScript; the interface is Swedish, and English when the query is English. Errors are
shown on the page in words, never as a stack trace. Not part of the OpenAPI schema.
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.deps import IndexUnavailable, SearcherDep, StoreDep
from api.filters import MAX_K, MAX_PAGE, MAX_QUERY_CHARS, SearchParams, clean_query, search_params
from api.routes.documents import load_document
from api.routes.people import people_answer
from api.routes.regions import answer_of
from api.routes.search import run_search
from api.schemas.people import PeopleAnswer
from api.schemas.regions import RegionsAnswer
from api.schemas.search import SearchAnswer
from regionsok.errors import QueryError
from regionsok.records import DOCUMENT_KINDS
from search.people import MAX_NAME_CHARS
from search.regions import county_names, which_regions

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).resolve().parent.parent / "templates")

UI: dict[str, dict[str, str]] = {
    "sv": {
        "lang": "sv", "tagline": "Sök i regionernas överenskommelser och pressmeddelanden",
        "search": "Sök", "regions": "Vilka regioner", "people": "Personer",
        "placeholder": "t.ex. spelberoende, psykisk hälsa, kollektivtrafik",
        "regions_placeholder": "t.ex. spelberoende", "people_placeholder": "t.ex. Torbjörn Holmqvist",
        "results": "träffar", "no_results": "Inga träffar.", "filters": "Filtrera",
        "county": "Län", "focus_area": "Fokusområde", "kind": "Typ", "year": "År",
        "clear": "Rensa filter", "published": "Publicerad", "source": "Källa",
        "county_col": "Län", "documents": "Dokument", "evidence": "Belägg",
        "no_regions": "Inget län har belägg för detta.", "parties": "Parti", "roles": "Roller",
        "no_people": "Ingen person med det namnet.", "quote": "Citat", "download": "Ladda ner",
        "prev": "Föregående", "next": "Nästa", "versions": "Versioner", "entities": "Entiteter",
        "organisations": "Organisationer", "person": "Personer", "text": "Text",
        "error": "Fel", "unavailable": "Sökindexet är inte byggt ännu.",
        "regions_help": "Vilka län tar upp ett ämne? Svaret bygger på fokusområden och relevanta dokument.",
    },
    "en": {
        "lang": "en", "tagline": "Search Swedish regions' agreements and press releases",
        "search": "Search", "regions": "Which regions", "people": "People",
        "placeholder": "e.g. gambling addiction, mental health, public transport",
        "regions_placeholder": "e.g. gambling addiction", "people_placeholder": "e.g. Torbjörn Holmqvist",
        "results": "results", "no_results": "No results.", "filters": "Filter",
        "county": "County", "focus_area": "Focus area", "kind": "Kind", "year": "Year",
        "clear": "Clear filters", "published": "Published", "source": "Source",
        "county_col": "County", "documents": "Documents", "evidence": "Evidence",
        "no_regions": "No county has evidence for this.", "parties": "Party", "roles": "Roles",
        "no_people": "Nobody by that name.", "quote": "Quote", "download": "Download",
        "prev": "Previous", "next": "Next", "versions": "Versions", "entities": "Entities",
        "organisations": "Organisations", "person": "People", "text": "Text",
        "error": "Error", "unavailable": "The search index is not built yet.",
        "regions_help": "Which counties address a topic? Built from focus areas and relevant documents.",
    },
}

FACET_PARAM = {"county": "county", "focus_area": "focus", "kind": "kind", "year": "year"}


def ui_language(text: str | None, detected: str | None = None) -> str:
    """'en' when the query is English, else Swedish (the default audience)."""
    if detected in ("sv", "en"):
        return detected
    if not text:
        return "sv"
    from ingest.language import detect_language

    return "en" if detect_language(text) == "en" else "sv"


def _render(request: Request, template: str, lang: str, status: int = 200, **context: object) -> HTMLResponse:
    return templates.TemplateResponse(
        request, template, {"t": UI[lang], "county_names": county_names(), **context}, status_code=status
    )


def _toggle(params: list[tuple[str, str]], name: str, value: str) -> str:
    """The link that adds a facet filter, or removes it when it is already on (back to page 1)."""
    kept = [(k, v) for k, v in params if k != "page"]
    if (name, value) in kept:
        kept = [(k, v) for k, v in kept if (k, v) != (name, value)]
    else:
        kept.append((name, value))
    return "?" + urlencode(kept)


def _link(params: list[tuple[str, str]], **change: str | None) -> str:
    kept = [(k, v) for k, v in params if k not in change]
    kept += [(k, v) for k, v in change.items() if v is not None]
    return "?" + urlencode(kept)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    searcher: SearcherDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=4 * MAX_QUERY_CHARS)] = "",
) -> HTMLResponse:
    """The search page; with ``q``, its results, facet filters and export links."""
    query_pairs = list(request.query_params.multi_items())
    if not q.strip():
        return _render(request, "search.html", "sv", q="", answer=None, error=None)
    try:
        params = _params_from(request)
        answer: SearchAnswer | None = run_search(searcher, store, params)
        error = None
    except QueryError as err:
        answer, error, params = None, str(err), None
    except IndexUnavailable:
        answer, error, params = None, "unavailable", None
    lang = ui_language(q, answer.language if answer else None)
    status = 200 if error is None else (503 if error == "unavailable" else 422)
    active = {k: request.query_params.getlist(k) for k in ("county", "focus", "kind", "year")}
    return _render(
        request, "search.html", lang, status=status, q=q, answer=answer, error=error,
        params=params, pairs=query_pairs, link=_link, toggle=_toggle, active=active, facet_param=FACET_PARAM,
        export_query=urlencode([(k, v) for k, v in query_pairs if k not in ("page",)]),
    )


def _params_from(request: Request) -> SearchParams:
    """Parse the page's query string with the API's own rules (bounds raise QueryError)."""
    qp = request.query_params

    def ints(name: str, default: int, high: int) -> int:
        raw = qp.get(name)
        if raw is None or raw == "":
            return default
        if not raw.isdigit() or not 1 <= int(raw) <= high:
            raise QueryError(f"{name}: a whole number from 1 to {high}")
        return int(raw)

    def day(name: str) -> date | None:
        raw = qp.get(name)
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError as err:
            raise QueryError(f"{name}: a date as YYYY-MM-DD") from err

    years = [y for y in qp.getlist("year") if y.isdigit() and len(y) == 4]
    since, until = day("since"), day("until")
    if years:
        since, until = date(int(min(years)), 1, 1), date(int(max(years)), 12, 31)
    kinds = qp.getlist("kind")
    for kind in kinds:
        if kind not in DOCUMENT_KINDS:
            raise QueryError(f"kind: unknown kind {kind!r}; one of {', '.join(DOCUMENT_KINDS)}")
    lang = qp.get("lang") or None
    if lang not in (None, "sv", "en", "other"):
        raise QueryError("lang: one of sv, en, other")
    return search_params(
        q=clean_query(qp.get("q", "")),
        k=ints("k", 10, MAX_K),
        page=ints("page", 1, MAX_PAGE),
        county=qp.getlist("county"),
        organisation=qp.getlist("organisation"),
        person=qp.getlist("person"),
        focus=qp.getlist("focus"),
        target=qp.getlist("target"),
        kind=kinds,  # type: ignore[arg-type]
        since=since,
        until=until,
        lang=lang,  # type: ignore[arg-type]
    )


@router.get("/regioner", response_class=HTMLResponse)
def regions_page(
    request: Request,
    searcher: SearcherDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=4 * MAX_QUERY_CHARS)] = "",
) -> HTMLResponse:
    """Which regions address a topic: a county table with evidence."""
    lang = ui_language(q) if q.strip() else "sv"
    if not q.strip():
        return _render(request, "regions.html", lang, q="", answer=None, error=None)
    answer: RegionsAnswer | None = None
    error = None
    try:
        answer = answer_of(which_regions(searcher, store, clean_query(q)))
    except QueryError as err:
        error = str(err)
    except IndexUnavailable:
        error = "unavailable"
    status = 200 if error is None else (503 if error == "unavailable" else 422)
    return _render(request, "regions.html", lang, status=status, q=q, answer=answer, error=error)


@router.get("/personer", response_class=HTMLResponse)
def people_page(
    request: Request,
    store: StoreDep,
    name: Annotated[str, Query(max_length=4 * MAX_NAME_CHARS)] = "",
) -> HTMLResponse:
    """A person view: parties, roles, documents and quotes."""
    if not name.strip():
        return _render(request, "people.html", "sv", name="", answer=None, error=None)
    answer: PeopleAnswer | None = None
    error = None
    try:
        answer = people_answer(store, name)
    except QueryError as err:
        error = str(err)
    return _render(request, "people.html", "sv", status=200 if error is None else 422,
                   name=name, answer=answer, error=error)


@router.get("/dokument/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, store: StoreDep, doc_id: str) -> HTMLResponse:
    """One document with its entities and versions."""
    document = load_document(store, doc_id[:128])
    lang = "en" if document is not None and document.language == "en" else "sv"
    return _render(request, "document.html", lang, status=200 if document else 404, document=document)

