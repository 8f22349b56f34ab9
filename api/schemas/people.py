"""Response models of `/people` (a journalist's "everything X said or signed")."""

from __future__ import annotations

from pydantic import BaseModel, Field

from api.schemas.common import Notice


class PersonDocument(BaseModel):
    """A document the person appears in, with the sentences attributed to them there."""

    doc_id: str = Field(examples=["3f2a9c0d1e"])
    url: str = Field(examples=["https://www.regionostergotland.se/pressmeddelanden/spelberoende"])
    title: str = Field(examples=["Ny överenskommelse om spelberoende"])
    published: str | None = Field(default=None, examples=["2024-03-12"])
    kind: str = Field(examples=["press_release"])
    quote: str | None = Field(default=None, description="The first quote, if any.", examples=["Det här är ett viktigt steg."])
    quotes: list[str] = Field(default_factory=list)


class PersonEntry(BaseModel):
    """One person as gathered across documents."""

    name: str = Field(examples=["Torbjörn Holmqvist"])
    score: float = Field(description="Name match, 0..1.", examples=[1.0])
    parties: list[str] = Field(examples=[["S"]])
    roles: list[str] = Field(examples=[["regionråd", "ordförande i regionstyrelsen"]])
    counties: list[str] = Field(default_factory=list, description="SCB codes of the counties of this person's documents.",
                                examples=[["05"]])
    role_counties: dict[str, list[str]] = Field(
        default_factory=dict, description="Each role with the counties of the documents that give it.",
        examples=[{"regionråd": ["05"]}])
    documents: list[PersonDocument]


class PeopleAnswer(BaseModel):
    """People whose names match, best first."""

    query: str = Field(examples=["Torbjörn Holmqvist"])
    people: list[PersonEntry]
    notices: list[Notice] = Field(default_factory=list, description="Why nobody can match (a name with no letters).")
