"""Response model of `/facets`: every filter value with its document count."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FacetsAnswer(BaseModel):
    """Value → number of documents, per facet; county names for the county codes."""

    county: dict[str, int] = Field(default_factory=dict, examples=[{"05": 12}])
    organisation: dict[str, int] = Field(default_factory=dict)
    person: dict[str, int] = Field(default_factory=dict)
    party: dict[str, int] = Field(default_factory=dict)
    focus_area: dict[str, int] = Field(default_factory=dict, examples=[{"gambling": 3}])
    target_group: dict[str, int] = Field(default_factory=dict)
    kind: dict[str, int] = Field(default_factory=dict, examples=[{"press_release": 40}])
    year: dict[str, int] = Field(default_factory=dict, examples=[{"2024": 30}])
    county_names: dict[str, str] = Field(default_factory=dict, examples=[{"05": "Östergötlands län"}])
