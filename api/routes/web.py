"""The web page: search, "which regions", people and documents, server-rendered (Jinja2).

For journalists and researchers who do not want to read JSON. Pages are plain HTML forms
and links (facet filters are links that add a parameter), so they work without
JavaScript; the interface is Swedish, and English when the query is English. Errors are
shown on the page in words, never as a stack trace. Not part of the OpenAPI schema.
"""

from __future__ import annotations

import csv
import difflib
import io
import logging
import re
from dataclasses import replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.deps import IndexUnavailable, SearcherDep, StoreDep
from api.filters import MAX_K, MAX_PAGE, MAX_QUERY_CHARS, SearchParams, clean_query
from api.labels import UiLanguage, concept_label, county_label, error_text, kind_label
from api.routes.documents import load_document
from api.routes.people import people_answer
from api.routes.regions import answer_of
from api.routes.search import run_search
from api.schemas.people import PeopleAnswer
from api.schemas.regions import RegionsAnswer
from api.schemas.search import SearchAnswer
from regionsok.csvcells import csv_row
from regionsok.errors import QueryError
from regionsok.records import DOCUMENT_KINDS
from search.hybrid import detect_query_language
from search.people import MAX_NAME_CHARS
from search.regions import which_regions

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
        "prev": "Föregående", "next": "Nästa", "versions": "Versioner", "entities": "Uppgifter ur texten",
        "organisations": "Organisationer", "person": "Personer", "text": "Text",
        "error": "Fel", "unavailable": "Sökindexet är inte byggt ännu.",
        "regions_help": "Vilka län tar upp ett ämne? Svaret bygger på fokusområden och relevanta dokument.",
        "skip": "Hoppa till innehållet", "search_label": "Sökord", "name_label": "Namn",
        "regions_label": "Ämne", "language": "Språk", "other_lang": "English", "other_code": "en",
        "since": "Från", "until": "Till", "apply": "Använd", "date_range": "Datum",
        "feed": "Atom-flöde för sökningen", "back": "Tillbaka till träffarna", "amounts": "Belopp",
        "dates": "Datum", "target_groups": "Målgrupper", "fetched": "hämtad", "not_found": "Sidan finns inte",
        "not_found_text": "Det finns ingen sida eller inget dokument på den adressen.", "home": "Till sökningen",
        "map": "Karta över länen", "map_help": "Färgen visar antal dokument med belägg; klicka på ett län för dess träffar.",
        "csv_table": "Ladda ner tabellen som CSV", "export_person": "Exportera personens dokument (CSV)",
        "role_counties": "Län", "no_role": "utan roll", "search_results": "Sökresultat",
        "people_help": "Sök en person för att se parti, roller, dokument och citat.",
        "search_help": "Sök i regionernas dokument på svenska eller engelska.",
        "sort_note": "Sortera:", "sort_relevance": "relevans", "sort_date": "datum (nyast först)", "version": "version", "current_version": "Till dokumentet",
        "changes": "Ändringar sedan förra versionen", "added": "Tillagt", "removed": "Borttaget",
        "with_changes": "med ändringar",
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
        "prev": "Previous", "next": "Next", "versions": "Versions", "entities": "Facts from the text",
        "organisations": "Organisations", "person": "People", "text": "Text",
        "error": "Error", "unavailable": "The search index is not built yet.",
        "regions_help": "Which counties address a topic? Built from focus areas and relevant documents.",
        "skip": "Skip to content", "search_label": "Search terms", "name_label": "Name",
        "regions_label": "Topic", "language": "Language", "other_lang": "Svenska", "other_code": "sv",
        "since": "From", "until": "To", "apply": "Apply", "date_range": "Date",
        "feed": "Atom feed of this search", "back": "Back to the results", "amounts": "Amounts",
        "dates": "Dates", "target_groups": "Target groups", "fetched": "fetched", "not_found": "Page not found",
        "not_found_text": "There is no page or document at this address.", "home": "Go to search",
        "map": "Map of the counties", "map_help": "The colour shows documents with evidence; click a county for its results.",
        "csv_table": "Download the table as CSV", "export_person": "Export this person's documents (CSV)",
        "role_counties": "Counties", "no_role": "no role", "search_results": "Search results",
        "people_help": "Search a person to see party, roles, documents and quotes.",
        "search_help": "Search the regions' documents in Swedish or English.",
        "sort_note": "Sort:", "sort_relevance": "relevance", "sort_date": "date (newest first)", "version": "version", "current_version": "To the document",
        "changes": "Changes since the previous version", "added": "Added", "removed": "Removed",
        "with_changes": "with changes",
    },
}

FACET_PARAM = {"county": "county", "focus_area": "focus", "kind": "kind", "year": "year"}
UI_COOKIE = "regionsok_ui"
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


class Labels:
    """The page's words for one language. Not a dict, so ``t.clear`` in a template is the
    label, never ``dict.clear`` (Jinja tries attributes before keys)."""

    def __init__(self, words: dict[str, str]) -> None:
        self._words = words

    def __getitem__(self, key: str) -> str:
        return self._words[key]

    def __getattr__(self, key: str) -> str:
        try:
            return self._words[key]
        except KeyError as err:
            raise AttributeError(key) from err


LABELS = {lang: Labels(words) for lang, words in UI.items()}
_SAFE_SCHEMES = ("http", "https")


def safe_href(url: object) -> str | None:
    """``url`` when it is an absolute http(s) URL, else None (the template then prints text)."""
    if not isinstance(url, str):
        return None
    candidate = url.strip()
    parsed = urlsplit(candidate)
    if parsed.scheme.lower() not in _SAFE_SCHEMES or not parsed.netloc:
        return None
    if any(ord(ch) < 32 or ch in "<>\"\\" for ch in candidate):
        return None
    return candidate


@lru_cache(maxsize=256)
def query_words(q: str | None) -> list[str]:
    """Words worth highlighting, longest first: the query's own (3+ letters) and the Swedish
    terms of the concepts it names ("gambling addiction" also marks "spelberoende")."""
    from ingest.nlp.taxonomy import load_taxonomy

    text = (q or "").lower()
    words = {w for w in re.findall(r"\w+", text) if len(w) >= 3}
    if text.strip():
        for term in load_taxonomy().expand_query(text):
            if re.fullmatch(r"\w{4,}", term.lower()):  # one-word terms; "spel om pengar" would mark every "pengar"
                words.add(term.lower())
    return sorted(words, key=len, reverse=True)


def highlight(text: object, q: str | None) -> Markup:
    """``text`` escaped, with each word starting with a query word wrapped in <mark>."""
    escaped = str(escape(str(text or "")))
    words = query_words(q)
    if not words:
        return Markup(escaped)
    pattern = re.compile(r"\b(" + "|".join(re.escape(str(escape(w))) for w in words) + r")\w*", re.IGNORECASE)
    return Markup(pattern.sub(lambda m: f"<mark>{m.group(0)}</mark>", escaped))


templates.env.filters["safe_href"] = safe_href
templates.env.filters["highlight"] = highlight


def chosen_language(request: Request, guess: str | None = None) -> UiLanguage:
    """The reader's own choice (``?ui=en``, then the cookie), else the guess, else Swedish."""
    for raw in (request.query_params.get("ui"), request.cookies.get(UI_COOKIE)):
        if raw in ("sv", "en"):
            return raw  # type: ignore[return-value]
    return "en" if guess == "en" else "sv"


def ui_language(text: str | None, detected: str | None = None) -> str:
    """'en' when the query is English, else Swedish (the default audience)."""
    if detected in ("sv", "en"):
        return detected
    if not text:
        return "sv"
    return "en" if detect_query_language(text) == "en" else "sv"


def _render(request: Request, template: str, lang: str, status: int = 200, **context: object) -> HTMLResponse:
    ui: UiLanguage = "en" if lang == "en" else "sv"
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "ui"]
    response = templates.TemplateResponse(
        request,
        template,
        {
            "t": LABELS[ui], "ui": ui, "path": request.url.path,
            "kind_label": lambda k: kind_label(k, ui), "concept_label": lambda s: concept_label(s, ui),
            "county_label": lambda c: county_label(c, ui),
            "error_text": lambda m: error_text(m, ui),
            "switch": {other: request.url.path + "?" + urlencode([*pairs, ("ui", other)]) for other in ("sv", "en")},
            **context,
        },
        status_code=status,
    )
    chosen = request.query_params.get("ui")
    if chosen in ("sv", "en"):
        response.set_cookie(UI_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


def _toggle(params: list[tuple[str, str]], name: str, value: str) -> str:
    """The link that adds a facet filter, or removes it when it is already on (back to page 1)."""
    kept = [(k, v) for k, v in params if k not in ("page", "ui")]
    if (name, value) in kept:
        kept = [(k, v) for k, v in kept if (k, v) != (name, value)]
    else:
        kept.append((name, value))
    return "?" + urlencode(kept)


def _link(params: list[tuple[str, str]], **change: str | None) -> str:
    kept = [(k, v) for k, v in params if k not in change and k != "ui"]
    kept += [(k, v) for k, v in change.items() if v is not None]
    return "?" + urlencode(kept)


def year_bars(years: dict[str, int]) -> list[tuple[str, int, int]]:
    """Facet years oldest first with a bar width in percent of the largest count."""
    if not years:
        return []
    top = max(years.values()) or 1
    return [(y, n, max(4, round(100 * n / top))) for y, n in sorted(years.items())]


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    searcher: SearcherDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=4 * MAX_QUERY_CHARS)] = "",
) -> HTMLResponse:
    """The search page; with ``q``, its results, facet filters and export links."""
    query_pairs = [(k, v) for k, v in request.query_params.multi_items() if k != "ui"]
    if not q.strip():
        return _render(request, "search.html", chosen_language(request), q="", answer=None, error=None)
    try:
        params = params_from(request)
        answer: SearchAnswer | None = run_search(searcher, store, params)
        if answer is not None and answer.notices:
            # The page says why nothing matched, in words, where the API gives an empty answer.
            raise QueryError(answer.notices[0].message)
        if answer is not None and params.county:
            # Counties combine (OR): list every county the query has, not only the chosen ones.
            everywhere = run_search(searcher, store, replace(params, county=(), k=1, page=1))
            answer.facets.county = {**everywhere.facets.county, **answer.facets.county}
        error = None
    except QueryError as err:
        answer, error, params = None, str(err), None
    except IndexUnavailable:
        answer, error, params = None, "unavailable", None
    lang = chosen_language(request, ui_language(q, answer.language if answer else None))
    status = 200 if error is None else (503 if error == "unavailable" else 422)
    active = {k: request.query_params.getlist(k) for k in ("county", "focus", "kind", "year", "since", "until")}
    filtered = [(k, v) for k, v in query_pairs if k not in ("page", "k")]
    return _render(
        request, "search.html", lang, status=status, q=q, answer=answer, error=error,
        params=params, pairs=query_pairs, link=_link, toggle=_toggle, active=active, facet_param=FACET_PARAM,
        export_query=urlencode(filtered), years=year_bars(answer.facets.year) if answer else [],
        since=request.query_params.get("since", ""), until=request.query_params.get("until", ""),
        results_query=urlencode(query_pairs),
        first_rank=(params.page - 1) * params.k + 1 if params else 1,
    )


#: The search page's query parameters; any other is a mistake to report, not to ignore (a
#: mistyped filter would otherwise show unfiltered results as if they were filtered).
SEARCH_PAGE_PARAMS = frozenset({"q", "k", "page", "county", "organisation", "person", "focus", "target",
                                "kind", "since", "until", "lang", "year", "sort", "ui"})


def _unknown_param(request: Request, allowed: set[str] | frozenset[str]) -> str | None:
    """The QueryError message for the first query parameter a page does not take, else None."""
    unknown = sorted(set(request.query_params) - allowed)
    return f"{unknown[0]}: unknown query parameter (allowed: {', '.join(sorted(allowed))})" if unknown else None


def params_from(request: Request) -> SearchParams:
    """Parse the page's query string with the API's own rules (bounds raise QueryError)."""
    qp = request.query_params
    if (mistyped := _unknown_param(request, SEARCH_PAGE_PARAMS)) is not None:
        raise QueryError(mistyped)

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
    sort = qp.get("sort") or "relevance"
    if sort not in ("relevance", "date"):
        raise QueryError("sort: relevance or date")
    return SearchParams.of(
        q=clean_query(qp.get("q", "")),
        k=ints("k", 10, MAX_K),
        page=ints("page", 1, MAX_PAGE),
        county=qp.getlist("county"),
        organisation=qp.getlist("organisation"),
        person=qp.getlist("person"),
        focus=qp.getlist("focus"),
        target=qp.getlist("target"),
        kind=kinds,
        since=since,
        until=until,
        lang=lang,
        sort=sort,
    )


# The counties as a tile grid (column, row), roughly where they lie: north at the top.
TILE_GRID: dict[str, tuple[int, int]] = {
    "25": (3, 0), "24": (2, 1), "23": (1, 2), "22": (2, 2), "20": (1, 3), "21": (2, 3),
    "17": (0, 4), "19": (1, 4), "03": (2, 4), "01": (3, 4), "14": (0, 5), "18": (1, 5),
    "04": (2, 5), "13": (0, 6), "06": (1, 6), "05": (2, 6), "09": (3, 6), "07": (1, 7),
    "08": (2, 7), "12": (0, 8), "10": (1, 8),
}


def _short_county(code: str) -> str:
    """A tile's label: "Västra Götalands län" -> "V. Götaland", "Stockholms län" -> "Stockholm"."""
    base = county_label(code, "sv").removesuffix(" län")
    base = base[:-1] if base.endswith("s") else base
    return base.replace("Västra ", "V. ")


def cartogram(counts: dict[str, int], query: str, lang: UiLanguage) -> list[dict[str, object]]:
    """One tile per county: position, label, documents, a colour step 0..4 and its results link."""
    top = max(counts.values(), default=0)
    tiles = []
    for code, (col, row) in sorted(TILE_GRID.items(), key=lambda kv: (kv[1][1], kv[1][0])):
        n = counts.get(code, 0)
        step = 0 if n == 0 or top == 0 else 1 + min(3, (3 * n) // top)
        tiles.append({
            "code": code, "x": col * 80, "y": row * 48, "name": county_label(code, lang), "documents": n,
            "short": _short_county(code),
            "step": step, "href": "/?" + urlencode([("q", query), ("county", code)]),
        })
    return tiles


def _regions(searcher: SearcherDep, store: StoreDep, q: str) -> tuple[RegionsAnswer | None, str | None]:
    try:
        return answer_of(which_regions(searcher, store, clean_query(q))), None
    except QueryError as err:
        return None, str(err)
    except IndexUnavailable:
        return None, "unavailable"


@router.get("/regioner", response_class=HTMLResponse)
def regions_page(
    request: Request,
    searcher: SearcherDep,
    store: StoreDep,
    q: Annotated[str, Query(max_length=4 * MAX_QUERY_CHARS)] = "",
) -> HTMLResponse:
    """Which regions address a topic: a tile map and a county table with evidence."""
    lang = chosen_language(request, ui_language(q) if q.strip() else None)
    if (mistyped := _unknown_param(request, {"q", "ui"})) is not None:
        return _render(request, "regions.html", lang, status=422, q=q, answer=None, error=mistyped, tiles=[])
    if not q.strip():
        return _render(request, "regions.html", lang, q="", answer=None, error=None, tiles=[])
    answer, error = _regions(searcher, store, q)
    status = 200 if error is None else (503 if error == "unavailable" else 422)
    counts = {c.code: c.documents for c in answer.counties} if answer else {}
    return _render(request, "regions.html", lang, status=status, q=q, answer=answer, error=error,
                   tiles=cartogram(counts, q, "en" if lang == "en" else "sv") if answer else [],
                   csv_link="/regioner.csv?" + urlencode([("q", q)]))


@router.get("/regioner.csv")
def regions_csv(
    searcher: SearcherDep, store: StoreDep, q: Annotated[str, Query(max_length=4 * MAX_QUERY_CHARS)] = ""
) -> Response:
    """The regions table as CSV (county code, name, documents, evidence URLs)."""
    answer, error = _regions(searcher, store, q)
    if answer is None:
        raise QueryError(error or "give q")
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(csv_row(["county_code", "county", "documents", "evidence_urls"]))
    for c in answer.counties:  # evidence URLs come from crawled pages: cells are neutralised
        writer.writerow(csv_row([c.code, c.name, c.documents, " ".join(e.url for e in c.evidence)]))
    return Response("\ufeff" + buffer.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="regionsok-regioner.csv"'})


@router.get("/personer", response_class=HTMLResponse)
def people_page(
    request: Request,
    store: StoreDep,
    name: Annotated[str, Query(max_length=4 * MAX_NAME_CHARS)] = "",
) -> HTMLResponse:
    """A person view: parties, roles with their counties, documents, quotes and an export."""
    lang = chosen_language(request)
    if (mistyped := _unknown_param(request, {"name", "ui"})) is not None:
        return _render(request, "people.html", lang, status=422, name=name, answer=None, error=mistyped)
    if not name.strip():
        return _render(request, "people.html", lang, name="", answer=None, error=None)
    answer: PeopleAnswer | None = None
    error = None
    try:
        answer = people_answer(store, name)  # each person with the counties of each role
    except QueryError as err:
        error = str(err)
    return _render(request, "people.html", lang, status=200 if error is None else 422,
                   name=name, answer=answer, error=error,
                   export=lambda person: "/export/search.csv?" + urlencode([("q", person), ("person", person)]))


def paragraphs(text: str) -> list[str]:
    """The text's paragraphs (blank-line separated, else line separated), empty ones dropped."""
    parts = re.split(r"\n\s*\n", text) if "\n\n" in text else text.split("\n")
    return [p.strip() for p in parts if p.strip()]


@router.get("/dokument/{doc_id}", response_class=HTMLResponse)
def document_page(request: Request, store: StoreDep, doc_id: str) -> HTMLResponse:
    """One document: title, facts, the text with the search words marked, and a way back."""
    document = load_document(store, doc_id[:128])
    guess = "en" if document is not None and document.language == "en" else None
    lang = chosen_language(request, guess)
    if document is None:
        return _render(request, "404.html", lang, status=404)
    q = request.query_params.get("q", "")[:MAX_QUERY_CHARS]
    back = request.query_params.get("from")
    return _render(request, "document.html", lang, document=document, q=q,
                   paragraphs=paragraphs(document.text), back="/?" + back if back else None)


def version_diff(before: str, after: str) -> list[tuple[str, str]]:
    """Paragraph changes from one version to the next: ("same" | "added" | "removed", text)."""
    out = []
    for line in difflib.ndiff(paragraphs(before), paragraphs(after)):
        tag, text = line[:2], line[2:]
        if tag == "  ":
            out.append(("same", text))
        elif tag == "+ ":
            out.append(("added", text))
        elif tag == "- ":
            out.append(("removed", text))
    return out


@router.get("/dokument/{doc_id}/version/{version}", response_class=HTMLResponse)
def version_page(request: Request, store: StoreDep, doc_id: str, version: int) -> HTMLResponse:
    """One stored version of a document and what changed since the version before it."""
    rows = {int(v["version"]): v for v in store.document_versions(doc_id[:128])}
    lang = chosen_language(request)
    if version not in rows:
        return _render(request, "404.html", lang, status=404)
    row = rows[version]
    previous = rows.get(version - 1)
    changes = version_diff(previous["text"], row["text"]) if previous is not None else []
    return _render(request, "version.html", lang, doc_id=doc_id, version=row, changes=changes,
                   paragraphs=paragraphs(row["text"]), has_previous=previous is not None)



@router.get("/{path:path}", include_in_schema=False)
def not_found(request: Request, path: str) -> Response:
    """Static files, else a 404 page for people (HTML) and the API's JSON 404 for programs."""
    if path.startswith("static/"):
        target = (STATIC_DIR / path.removeprefix("static/")).resolve()
        if target.is_file() and target.is_relative_to(STATIC_DIR):
            return FileResponse(target)
    if path.endswith("/") and path.strip("/"):
        url = "/" + path.strip("/") + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(url, status_code=307)
    if "text/html" not in request.headers.get("accept", ""):
        raise StarletteHTTPException(status_code=404)
    return _render(request, "404.html", chosen_language(request), status=404)
