"""Stored XSS: hostile titles, texts, names and URLs from a crawled page never come out as markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from starlette.requests import Request

from api.routes.web import highlight, safe_href, templates
from api.schemas.people import PeopleAnswer, PersonDocument, PersonEntry
from api.schemas.search import SearchAnswer, SearchFacets, SearchResult

HOSTILE = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'><svg onload=alert(3)>'
BAD_URLS = ["javascript:alert(1)", " JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)", "//evil.example/x", "/relative", "http:alert(1)", 'https://ok.example/"onmouseover="x']


@pytest.mark.parametrize("url", BAD_URLS)
def test_only_absolute_http_urls_become_links(url: str) -> None:
    assert safe_href(url) is None


def test_http_and_https_urls_stay_links() -> None:
    assert safe_href("https://www.regionskane.se/a?b=1&c=2") == "https://www.regionskane.se/a?b=1&c=2"
    assert safe_href("http://example.se/") == "http://example.se/"


def test_highlight_escapes_the_text_and_the_query() -> None:
    out = str(highlight(HOSTILE + " spelberoende", "<script> spel"))
    assert "<script>" not in out and "<img" not in out and "<mark>spelberoende</mark>" in out


def _request(path: str) -> Request:
    return Request({"type": "http", "method": "GET", "path": path, "query_string": b"q=x", "headers": [],
                    "server": ("127.0.0.1", 80), "scheme": "http", "root_path": ""})


class _Markup(HTMLParser):
    """Collects what a browser would run: script tags, event handlers, script-like link targets."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not (values.get("src") or "").startswith("/static/"):
            self.found.append("<script>")
        if tag in ("img", "iframe", "object", "embed", "svg"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            target = (value or "").strip().lower()
            if name in ("href", "src", "action") and not (target.startswith(("/", "?", "#", "http://", "https://"))):
                self.found.append(f"{tag}[{name}={value}]")
            if name in ("href", "src") and target.startswith("//"):
                self.found.append(f"{tag}[{name}={value}]")


def _executable(html: str) -> list[str]:
    parser = _Markup()
    parser.feed(html)
    return parser.found


def _render(template: str, **context: object) -> str:
    from api.routes.web import _render as render

    return bytes(render(_request("/"), template, "sv", **context).body).decode()


@pytest.mark.parametrize("url", BAD_URLS)
def test_hostile_search_results_render_inert(url: str) -> None:
    result = SearchResult(doc_id=HOSTILE, url=url, title=HOSTILE, kind=HOSTILE, counties=[HOSTILE],
                          people=[HOSTILE], focus_areas=[HOSTILE], score=1.0, snippet=HOSTILE)
    answer = SearchAnswer(query=HOSTILE, language="sv", total=1, page=1, k=10, results=[result],
                          facets=SearchFacets(county={HOSTILE: 1}, focus_area={HOSTILE: 1}, kind={HOSTILE: 1}))
    from api.routes.web import FACET_PARAM, _link, _toggle

    html = _render("search.html", q=HOSTILE, answer=answer, error=None, params=None, pairs=[("q", HOSTILE)],
                   link=_link, toggle=_toggle, active={}, facet_param=FACET_PARAM, export_query="q=x", years=[],
                   since="", until="", results_query="q=x", first_rank=1)
    assert _executable(html) == []
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_hostile_people_render_inert() -> None:
    doc = PersonDocument(doc_id=HOSTILE, url="javascript:alert(1)", title=HOSTILE, kind="agreement", quotes=[HOSTILE])
    answer = PeopleAnswer(query=HOSTILE, people=[PersonEntry(name=HOSTILE, score=1.0, parties=[HOSTILE],
                                                             roles=[HOSTILE], documents=[doc])])
    html = _render("people.html", name=HOSTILE, answer=answer, error=HOSTILE, role_counties={HOSTILE: {HOSTILE: [HOSTILE]}},
                   export=lambda name: "/export/search.csv")
    assert _executable(html) == []


def test_a_search_with_no_hits_says_so() -> None:
    from api.routes.web import FACET_PARAM, _link, _toggle

    answer = SearchAnswer(query="qwzx", language="sv", total=0, page=1, k=10, results=[], facets=SearchFacets())
    html = _render("search.html", q="qwzx", answer=answer, error=None, params=None, pairs=[("q", "qwzx")],
                   link=_link, toggle=_toggle, active={}, facet_param=FACET_PARAM, export_query="q=qwzx", years=[],
                   since="", until="", results_query="q=qwzx", first_rank=1)
    assert 'id="no-results">Inga träffar.' in html and '<span id="total">0</span>' in html


def test_templates_hold_no_inline_script() -> None:
    source = "".join(templates.env.loader.get_source(templates.env, name)[0]  # type: ignore[union-attr]
                     for name in templates.env.list_templates())
    assert not re.search(r"<script(?![^>]*src=)", source) and not re.search(r"\son[a-z]+=", source)


def test_an_english_query_marks_the_swedish_concept_terms() -> None:
    out = str(highlight("Regionen satsar mot spelberoende och pengar till skolan.", "gambling addiction"))
    assert "<mark>spelberoende</mark>" in out and "<mark>pengar</mark>" not in out
