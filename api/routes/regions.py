"""`GET /regions`: which counties (län) address a topic, each with evidence."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import WithJsonSchema

from api.deps import SearcherDep, StoreDep
from api.filters import MAX_QUERY_CHARS, QUERY_EXAMPLES, enum_schema, listed, optional_query
from api.schemas.common import ERROR_RESPONSES, Notice
from api.schemas.regions import RegionCounty, RegionEvidence, RegionsAnswer
from search.regions import NO_QUESTION_MESSAGE, concept_kinds, which_regions
from search.regions import RegionsAnswer as Answer

router = APIRouter(tags=["regions"])
#: A focus-area or target-group slug: the schema lists the taxonomy's.
CONCEPT_SLUGS = sorted(concept_kinds())
ConceptSlug = Annotated[str, *listed(CONCEPT_SLUGS, "focus area")]
NO_QUESTION = Notice(parameter="q", value="", message=NO_QUESTION_MESSAGE)


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
        WithJsonSchema({"type": "string", "maxLength": MAX_QUERY_CHARS}),
        Query(max_length=MAX_QUERY_CHARS, description="A topic or question, Swedish or English.",
              examples=["gambling addiction"], openapi_examples=QUERY_EXAMPLES),
    ] = None,
    focus: Annotated[
        ConceptSlug | None,
        WithJsonSchema(enum_schema(CONCEPT_SLUGS)),
        Query(description="A focus-area or target-group slug instead of q.", examples=["gambling"]),
    ] = None,
) -> RegionsAnswer:
    """Counties whose documents address the topic, strongest first.

    Every county listed is backed by at least one document (a focus-area label or a search
    result above the relevance threshold), given with the passage that shows it. With
    neither q nor focus there is no question: no counties, and a notice saying what to give.
    """
    query = optional_query(q)
    focus_slug = focus or None
    if query is None and focus_slug is None:
        return RegionsAnswer(query="", focus_areas=[], counties=[], notices=[NO_QUESTION])
    return answer_of(which_regions(searcher, store, query, focus=focus_slug))
