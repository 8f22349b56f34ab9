"""`GET /facets`: every filter value with its document count (for building filters)."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import StoreDep
from api.schemas.common import ERROR_RESPONSES
from api.schemas.facets import FacetsAnswer
from search.regions import county_names

router = APIRouter(tags=["facets"])


@router.get("/facets", response_model=FacetsAnswer, responses=ERROR_RESPONSES)
def facets(store: StoreDep) -> FacetsAnswer:
    """Counties, organisations, people, parties, focus areas, target groups, kinds and years."""
    counts = store.facet_counts()
    return FacetsAnswer(
        county=counts.get("county", {}),
        organisation=counts.get("organisation", {}),
        person=counts.get("person", {}),
        party=counts.get("party", {}),
        focus_area=counts.get("focus_area", {}),
        target_group=counts.get("target_group", {}),
        kind=counts.get("kind", {}),
        year=counts.get("year", {}),
        county_names=county_names(),
    )
