"""Response models of `/regions` ("which regions address X")."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Notice


class RegionEvidence(BaseModel):
    """A document showing the county addresses the topic, and the passage that shows it."""

    doc_id: str = Field(examples=["3f2a9c0d1e"])
    url: str = Field(examples=["https://www.regionostergotland.se/pressmeddelanden/spelberoende"])
    title: str = Field(examples=["Ny överenskommelse om spelberoende"])
    snippet: str = Field(examples=["… en gemensam överenskommelse för att förebygga spelberoende …"])
    score: float = Field(description="Label weight (1.0) plus search score.", examples=[1.82])
    labelled: bool = Field(description="The NLP stage labelled the document with the focus area.")


class RegionCounty(BaseModel):
    """One county (län), with how many documents back it and the strongest of them."""

    code: str = Field(description="SCB county code.", examples=["05"])
    name: str = Field(examples=["Östergötlands län"])
    documents: int = Field(examples=[2])
    strength: float = Field(examples=[3.4])
    evidence: list[RegionEvidence]


class RegionsAnswer(BaseModel):
    """Counties that address the question, strongest first; each is backed by evidence."""

    query: str = Field(examples=["gambling addiction"])
    focus_areas: list[str] = Field(description="Focus-area slugs the question was mapped to.", examples=[["gambling"]])
    counties: list[RegionCounty]
    notices: list[Notice] = Field(default_factory=list, description="Why there is no answer (no q and no focus).")
