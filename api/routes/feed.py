"""An Atom feed per search (``/feed?q=…&county=…``): the newest matching documents first.

The same parameters as the search page; a feed reader polls it to see new agreements and
press releases on a topic. Entries carry the document's title, its page here, its source
and the best passage.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from urllib.parse import urlencode
from xml.etree import ElementTree as ET

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.deps import SearcherDep, StoreDep
from api.routes.search import run_search
from api.routes.web import params_from
from api.schemas.search import SearchResult

router = APIRouter(include_in_schema=False)

ATOM = "http://www.w3.org/2005/Atom"
FEED_SIZE = 50


def _updated(result: SearchResult) -> str:
    return f"{result.published}T00:00:00Z" if result.published else "1970-01-01T00:00:00Z"


def atom_feed(base_url: str, query_string: str, title: str, results: list[SearchResult]) -> bytes:
    """An Atom 1.0 document (RFC 4287) of ``results``, newest first."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    newest = sorted(results, key=lambda r: (r.published or "", r.doc_id), reverse=True)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    sub(feed, "id", f"{base_url}/feed?{query_string}")
    sub(feed, "title", title)
    sub(feed, "updated", _updated(newest[0]) if newest else datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    author = sub(feed, "author")
    sub(author, "name", "Regionsök")
    sub(feed, "link", rel="self", href=f"{base_url}/feed?{query_string}")
    sub(feed, "link", rel="alternate", type="text/html", href=f"{base_url}/?{query_string}")
    for r in newest:
        entry = sub(feed, "entry")
        sub(entry, "id", f"{base_url}/dokument/{r.doc_id}")
        sub(entry, "title", r.title)
        sub(entry, "updated", _updated(r))
        sub(entry, "link", rel="alternate", type="text/html", href=f"{base_url}/dokument/{r.doc_id}")
        if r.url.startswith(("http://", "https://")):
            sub(entry, "link", rel="via", href=r.url)
        sub(entry, "summary", r.snippet)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)


@router.get("/feed")
def feed(request: Request, searcher: SearcherDep, store: StoreDep) -> Response:
    """The search as an Atom feed (bad parameters: the API's 422 JSON, as for /search)."""
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in ("page", "k", "ui")]
    params = replace(params_from(request), k=FEED_SIZE, page=1)
    answer = run_search(searcher, store, params)
    base = str(request.base_url).rstrip("/")
    body = atom_feed(base, urlencode(pairs), f"Regionsök: {params.q}", answer.results)
    return Response(body, media_type="application/atom+xml; charset=utf-8")
