"""Response models of `/search` (and the rows of its CSV/JSONL export)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Notice


class SearchResult(BaseModel):
    """One document that matches, with its best passage."""

    doc_id: str = Field(examples=["3f2a9c0d1e"])
    url: str = Field(examples=["https://www.regionostergotland.se/pressmeddelanden/spelberoende"])
    title: str = Field(examples=["Ny överenskommelse om spelberoende"])
    kind: str = Field(examples=["press_release"])
    published: str | None = Field(default=None, examples=["2024-03-12"])
    language: str | None = Field(default=None, examples=["sv"])
    counties: list[str] = Field(default_factory=list, examples=[["05"]])
    organisations: list[str] = Field(default_factory=list, examples=[["Region Östergötland"]])
    people: list[str] = Field(default_factory=list, examples=[["Torbjörn Holmqvist"]])
    focus_areas: list[str] = Field(default_factory=list, examples=[["gambling"]])
    score: float = Field(examples=[0.83])
    snippet: str = Field(examples=["Region Östergötland och kommunerna tecknar en överenskommelse om spelberoende …"])


class SearchFacets(BaseModel):
    """Counts over all matching documents (not only this page), value → documents."""

    county: dict[str, int] = Field(default_factory=dict, examples=[{"05": 2}])
    focus_area: dict[str, int] = Field(default_factory=dict, examples=[{"gambling": 2}])
    kind: dict[str, int] = Field(default_factory=dict, examples=[{"press_release": 2}])
    year: dict[str, int] = Field(default_factory=dict, examples=[{"2024": 2}])


class SearchAnswer(BaseModel):
    """A page of search results with facet counts."""

    query: str = Field(examples=["gambling addiction"])
    language: str = Field(description="The query's detected language (sv or en).", examples=["en"])
    total: int = Field(examples=[2])
    page: int = Field(examples=[1])
    k: int = Field(examples=[10])
    results: list[SearchResult]
    facets: SearchFacets
    notices: list[Notice] = Field(
        default_factory=list, description="Why some filter matched nothing (then there are no results)."
    )
