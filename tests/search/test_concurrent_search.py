"""Searches from many threads at once answer exactly as one at a time (there is no global lock)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from regionsok.records import SearchFilters
from search.service import SearchRequest

REQUESTS = [
    SearchRequest(query="spelberoende"),
    SearchRequest(query="gambling addiction", filters=SearchFilters(counties=("05",))),
    SearchRequest(query="psykisk hälsa barn och unga", k=3, offset=1),
    SearchRequest(query="suicide prevention", sort="date"),
    SearchRequest(query="samverkan mellan kommuner och region", filters=SearchFilters(kinds=("press_release",))),
    SearchRequest(query="Torbjörn Holmqvist"),
]


def _answer(service: Any, request: SearchRequest) -> tuple[Any, ...]:
    response = service.search(request)
    return response.total, [(h.doc_id, h.snippet) for h in response.hits], response.facets


def test_concurrent_searches_give_the_same_answers_as_sequential_ones(seed_service: Any) -> None:
    expected = [_answer(seed_service, r) for r in REQUESTS]
    # New query strings too, so threads embed at the same time (the tokenizer is shared).
    fresh = [SearchRequest(query=f"{r.query} {n}", filters=r.filters) for n in range(4) for r in REQUESTS]
    with ThreadPoolExecutor(max_workers=6) as pool:
        repeated = list(pool.map(lambda r: _answer(seed_service, r), REQUESTS * 8))
        list(pool.map(lambda r: _answer(seed_service, r), fresh))
    assert repeated == expected * 8
