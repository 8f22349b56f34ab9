"""update_extractions: computes each document once, and again only when its text or the pipeline changes."""

from __future__ import annotations

import pytest

import ingest.nlp
from ingest.nlp import PIPELINE_VERSION, update_extractions
from regionsok.records import Document
from regionsok.store import Store

RELEASE = (
    "Region Östergötland satsar på spelberoende\n\n"
    "– Vi måste nå fler som har problem med spel om pengar, säger Torbjörn Holmqvist (S), regionråd.\n"
)


def _doc(doc_id: str, text: str) -> Document:
    return Document(
        doc_id=doc_id, url=f"https://example.se/{doc_id}", title=text.splitlines()[0], text=text,
        language="sv", kind="press_release", county_code="05",
    )


@pytest.fixture()
def store(store_location: str):  # type: ignore[no-untyped-def]
    with Store.open(store_location) as s:  # on SQLite and on PostgreSQL
        yield s


def _facets(store: Store, doc_id: str) -> set[tuple[str, str]]:
    rows = store.conn.execute("SELECT facet, value FROM doc_facets WHERE doc_id = ?", (doc_id,))
    return {(r["facet"], r["value"]) for r in rows}


def test_new_documents_are_extracted_with_their_search_facets(store: Store) -> None:
    store.upsert_document(_doc("a", RELEASE))
    assert update_extractions(store) == 1
    extraction = store.get_extraction("a")
    assert extraction is not None and extraction.pipeline_version == PIPELINE_VERSION
    facets = _facets(store, "a")
    assert {("county", "05"), ("person", "Torbjörn Holmqvist"), ("party", "S"),
            ("focus_area", "gambling"), ("organisation", "Region Östergötland")} <= facets


def test_unchanged_documents_are_not_recomputed(store: Store) -> None:
    store.upsert_document(_doc("a", RELEASE))
    store.upsert_document(_doc("b", "Region Skåne informerar om psykisk hälsa.\n"))
    assert update_extractions(store) == 2
    assert update_extractions(store) == 0


def test_changed_text_is_recomputed(store: Store) -> None:
    store.upsert_document(_doc("a", RELEASE))
    store.upsert_document(_doc("b", "Region Skåne informerar om psykisk hälsa.\n"))
    update_extractions(store)
    store.upsert_document(_doc("a", RELEASE + "\nÄven Region Kronoberg deltar.\n"))
    advanced: list[int] = []
    assert update_extractions(store, progress=advanced.append) == 1
    assert advanced == [1]
    assert "07" in store.get_extraction("a").counties  # type: ignore[union-attr]


def test_new_pipeline_version_recomputes_everything(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    store.upsert_document(_doc("a", RELEASE))
    store.upsert_document(_doc("b", "Region Skåne informerar om psykisk hälsa.\n"))
    update_extractions(store)
    monkeypatch.setattr(ingest.nlp, "PIPELINE_VERSION", PIPELINE_VERSION + "-next")
    assert update_extractions(store) == 2
    assert store.get_extraction("a").pipeline_version == PIPELINE_VERSION + "-next"  # type: ignore[union-attr]
    assert update_extractions(store) == 0


def test_a_store_larger_than_one_page_is_extracted_completely(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest.nlp, "PAGE_SIZE", 2)
    for n in range(5):
        store.upsert_document(_doc(f"d{n}", f"Region Kronoberg, rapport nummer {n} om psykisk hälsa.\n"))
    assert update_extractions(store) == 5
    assert update_extractions(store) == 0
