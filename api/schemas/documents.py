"""Response model of `/documents/{doc_id}`: the document, its entities and its versions."""

from __future__ import annotations

from pydantic import BaseModel, Field


class EntityPerson(BaseModel):
    name: str = Field(examples=["Torbjörn Holmqvist"])
    party: str | None = Field(default=None, examples=["S"])
    role: str | None = Field(default=None, examples=["regionråd"])


class EntityQuote(BaseModel):
    person: str = Field(examples=["Torbjörn Holmqvist"])
    text: str = Field(examples=["Det här är ett viktigt steg."])


class EntityAmount(BaseModel):
    text: str = Field(examples=["2,5 miljoner kronor"])
    sek: float = Field(examples=[2500000.0])


class DocumentEntities(BaseModel):
    """What the NLP stage found in the document (empty lists before extraction ran)."""

    counties: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    people: list[EntityPerson] = Field(default_factory=list)
    quotes: list[EntityQuote] = Field(default_factory=list)
    dates: list[str] = Field(default_factory=list)
    amounts: list[EntityAmount] = Field(default_factory=list)
    focus_areas: list[str] = Field(default_factory=list)
    target_groups: list[str] = Field(default_factory=list)


class DocumentVersion(BaseModel):
    """An earlier (or the current) text of the document; the text itself is not repeated."""

    version: int = Field(examples=[1])
    title: str
    sha256: str
    published: str | None = None
    created_at: str = Field(examples=["2026-11-20T02:00:00Z"])


class DocumentAnswer(BaseModel):
    doc_id: str = Field(examples=["3f2a9c0d1e"])
    url: str
    title: str
    kind: str = Field(examples=["agreement"])
    language: str = Field(examples=["sv"])
    published: str | None = None
    site_name: str | None = None
    county_code: str | None = Field(default=None, examples=["05"])
    version: int = Field(examples=[1])
    first_seen: str | None = None
    last_changed: str | None = None
    removed_at: str | None = None
    text: str
    entities: DocumentEntities
    versions: list[DocumentVersion]
