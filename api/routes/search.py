"""`GET /search`: hybrid search with filters, paging and facet counts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from api.deps import SearcherDep, StoreDep
from api.filters import SearchParams, clean_query, search_params
from api.schemas.common import ERROR_RESPONSES
from api.schemas.search import SearchAnswer, SearchFacets, SearchResult
from regionsok.records import Hit
from search.hybrid import detect_query_language

router = APIRouter(tags=["search"])

ParamsDep = Annotated[SearchParams, Depends(search_params)]


def result_of(hit: Hit) -> SearchResult:
    """The API's view of a search hit (shared with the export and the web page)."""
    return SearchResult(
        doc_id=hit.doc_id,
        url=hit.url,
        title=hit.title,
        kind=hit.kind,
        published=hit.published,
        language=hit.language,
        counties=list(hit.counties),
        organisations=list(hit.organisations),
        people=list(hit.people),
        focus_areas=list(hit.focus_areas),
        score=round(float(hit.score), 4),
        snippet=hit.snippet,
    )


def run_search(searcher: SearcherDep, store: StoreDep, params: SearchParams) -> SearchAnswer:
    """Run one page of a search and shape the answer (empty, with notices, when a filter cannot match)."""
    params = params.resolved(store)
    if params.nothing_can_match():
        return SearchAnswer(query=clean_query(params.q), language=detect_query_language(params.q), total=0,
                            page=params.page, k=params.k, results=[], facets=SearchFacets(),
                            notices=list(params.notices))
    response = searcher.search(params.to_request())
    facets = response.facets
    return SearchAnswer(
        query=response.query,
        language=response.language,
        total=response.total,
        page=params.page,
        k=params.k,
        results=[result_of(hit) for hit in response.hits],
        facets=SearchFacets(
            county=dict(facets.get("county", {})),
            focus_area=dict(facets.get("focus_area", {})),
            kind=dict(facets.get("kind", {})),
            year=dict(facets.get("year", {})),
        ),
    )


@router.get("/search", response_model=SearchAnswer, responses=ERROR_RESPONSES)
def search(searcher: SearcherDep, store: StoreDep, params: ParamsDep) -> SearchAnswer:
    """Documents matching a query (Swedish or English), best first, with facet counts.

    Filters combine with AND; repeating a filter (``county=05&county=06``) means OR.
    A value the schema rules out (a county that does not exist, an unknown slug) is answered
    422 with the reason; an organisation or person no document names gives no results and a
    notice saying so.
    """
    return run_search(searcher, store, params)
