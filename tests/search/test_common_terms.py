"""Large indexes leave words found in most chunks to the vector ranking (keyword search stays fast)."""

from __future__ import annotations

from typing import Any

import pytest

import search.keyword as keyword_module
from search.service import SearchRequest

AGREEMENT = "000"  # Östergötland: the agreement release listing Spelberoende


def test_words_in_most_chunks_of_a_large_index_are_left_to_the_vectors(
    seed_service: Any, seed_ids: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = seed_service._loaded
    everywhere = [t for t in ("region", "kommun", "och")
                  if loaded.keyword.document_frequency(f'"{t}"') > 0.25 * len(loaded.index)]
    assert everywhere, "the seed pages all speak of regions and kommuner"
    terms = (*(f'"{t}"' for t in everywhere), '"spelberoend"', '"spelberoend"*', '"psykisk häls"')

    assert loaded.keyword.discriminating(terms) == terms  # a small index keeps every word

    monkeypatch.setattr(keyword_module, "COMMON_TERM_MIN_CHUNKS", 1)  # now treat it as a large one
    kept = loaded.keyword.discriminating(terms)
    assert kept == ('"spelberoend"', '"spelberoend"*', '"psykisk häls"')  # rare words, prefixes, phrases stay
    response = seed_service.search(SearchRequest(query=f"{everywhere[0]} spelberoende"))
    assert response.hits[0].doc_id == seed_ids[AGREEMENT]
