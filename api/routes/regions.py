"""`GET /regions`: which counties (län) address a topic, each with evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.deps import SearcherDep, StoreDep
from api.filters import MAX_QUERY_CHARS, QUERY_EXAMPLES, clean_query
from api.schemas.common import ERROR_RESPONSES
from api.schemas.regions import RegionCounty, RegionEvidence, RegionsAnswer
from search.regions import RegionsAnswer as Answer
from search.regions import which_regions

router = APIRouter(tags=["regions"])


def answer_of(answer: Answer) -> RegionsAnswer:
    """The API's view of a regions answer (shared with the web page and the CLI)."""
    return RegionsAnswer(
        query=answer.query,
        focus_areas=list(answer.focus_areas),
        counties=[
            RegionCounty(
                code=c.code,
                name=c.name,
                documents=c.documents,
                strength=c.strength,
                evidence=[
                    RegionEvidence(
                        doc_id=e.doc_id, url=e.url, title=e.title, snippet=e.snippet,
                        score=e.score, labelled=e.labelled,
                    )
                    for e in c.evidence
                ],
            )
            for c in answer.counties
        ],
    )


@router.get("/regions", response_model=RegionsAnswer, responses=ERROR_RESPONSES)
def regions(
    searcher: SearcherDep,
    store: StoreDep,
    q: Annotated[
        str | None,
        Query(max_length=MAX_QUERY_CHARS, description="A topic or question, Swedish or English.",
              examples=["gambling addiction"], openapi_examples=QUERY_EXAMPLES),
    ] = None,
    focus: Annotated[
        str | None, Query(max_length=100, description="A focus-area or target-group slug instead of q.", examples=["gambling"])
    ] = None,
) -> RegionsAnswer:
    """Counties whose documents address the topic, strongest first.

    Every county listed is backed by at least one document (a focus-area label or a search
    result above the relevance threshold), given with the passage that shows it.
    """
    query = clean_query(q) if q is not None and q.strip() else None
    focus_slug = focus.strip() if focus and focus.strip() else None
    # Neither given: which_regions raises the QueryError (→ 422).
    return answer_of(which_regions(searcher, store, query, focus=focus_slug))
