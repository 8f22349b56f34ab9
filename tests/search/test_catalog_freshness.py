"""Filters follow the store: a re-extracted document is filtered by its new facets without a new index."""

from __future__ import annotations

import sqlite3
from typing import Any

from regionsok.records import SearchFilters
from regionsok.settings import Settings
from search.service import SearchRequest, SearchService

AGREEMENT = "000"  # Östergötland (05): the agreement release listing Spelberoende


def _keyword_hits(service: SearchService, county: str) -> list[str]:
    request = SearchRequest(query="spelberoende", mode="keyword", filters=SearchFilters(counties=(county,)))
    return [hit.doc_id for hit in service.search(request).hits]


def test_a_filtered_concept_ranking_follows_a_changed_document_without_a_new_index(
    own_seed_settings: Settings, embedder: Any, seed_ids: dict[str, str]
) -> None:
    settings = own_seed_settings
    service = SearchService(settings, embedder=embedder)
    agreement = seed_ids[AGREEMENT]  # doc ids come from the canonical URL: the same in every store
    assert agreement in _keyword_hits(service, "05")
    assert agreement not in _keyword_hits(service, "01")

    # Re-extraction moves the document to another county; no index run publishes anything.
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute("DELETE FROM doc_facets WHERE doc_id = ? AND facet = 'county'", (agreement,))
        conn.execute("INSERT INTO doc_facets (doc_id, facet, value, norm) VALUES (?, 'county', '01', '01')",
                     (agreement,))
    assert agreement not in _keyword_hits(service, "05")
    assert agreement in _keyword_hits(service, "01")
