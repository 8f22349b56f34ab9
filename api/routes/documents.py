"""`GET /documents/{doc_id}`: one document with its entities and versions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Path

from api.deps import StoreDep
from api.schemas.common import ERROR_RESPONSES, ErrorBody
from api.schemas.documents import (
    DocumentAnswer,
    DocumentEntities,
    DocumentVersion,
    EntityAmount,
    EntityPerson,
    EntityQuote,
)
from regionsok.store import Store

router = APIRouter(tags=["documents"])


def load_document(store: Store, doc_id: str) -> DocumentAnswer | None:
    """The document, its extraction and its versions; None when unknown."""
    row = store.get_document(doc_id)
    if row is None:
        return None
    extraction = store.get_extraction(doc_id)
    entities = DocumentEntities()
    if extraction is not None:
        entities = DocumentEntities(
            counties=list(extraction.counties),
            organisations=list(extraction.organisations),
            people=[EntityPerson(name=p.name, party=p.party, role=p.role) for p in extraction.people],
            quotes=[EntityQuote(person=q.person, text=q.text) for q in extraction.quotes],
            dates=list(extraction.dates),
            amounts=[EntityAmount(text=a.text, sek=a.sek) for a in extraction.amounts],
            focus_areas=list(extraction.focus_areas),
            target_groups=list(extraction.target_groups),
        )
    return DocumentAnswer(
        doc_id=row["doc_id"],
        url=row["url"],
        title=row["title"],
        kind=row["kind"],
        language=row["language"],
        published=row["published"],
        site_name=row["site_name"],
        county_code=row["county_code"],
        version=row["version"],
        first_seen=row["first_seen"],
        last_changed=row["last_changed"],
        removed_at=row["removed_at"],
        text=row["text"],
        entities=entities,
        versions=[
            DocumentVersion(
                version=v["version"], title=v["title"], sha256=v["sha256"],
                published=v["published"], created_at=v["created_at"],
            )
            for v in store.document_versions(doc_id)
        ],
    )


@router.get(
    "/documents/{doc_id}",
    response_model=DocumentAnswer,
    responses={404: {"model": ErrorBody, "description": "No document with this id."}, **ERROR_RESPONSES},
)
def document(
    store: StoreDep,
    doc_id: Annotated[str, Path(min_length=1, max_length=128, description="The document's id.")],
) -> DocumentAnswer:
    """A document's text and metadata, what the NLP stage found in it, and its earlier versions."""
    answer = load_document(store, doc_id)
    if answer is None:
        raise HTTPException(status_code=404, detail=f"no document with id {doc_id!r}")
    return answer
