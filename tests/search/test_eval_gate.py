"""Quality gate: nDCG@10 on the labelled dev set, per query language and search mode.

The dev set (tests/fixtures/search/dev_queries.jsonl over dev_corpus.jsonl, the seed pages
and the Kronoberg PDF) is hashed, so it cannot change without this file noticing; the
floors sit a noise margin below the measured figures (bench/eval_search.py prints them).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from regionsok.settings import Settings
from search.evaluation import evaluate, file_digest, labels_by_doc_id, load_dev_queries

SEARCH_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "search"
DEV_FILES = (SEARCH_FIXTURES / "dev_queries.jsonl", SEARCH_FIXTURES / "dev_corpus.jsonl")
DEV_SET_SHA256 = "848c410c4e58741b2970a12fe67f830d2b73879a53500e96f7c25bac94409bd0"
#: Measured (hybrid, bench/eval_search.py): sv 0.974, en 0.888; floors leave a margin for
#: model and library drift.
FLOORS = {"sv": 0.94, "en": 0.85}


@pytest.fixture(scope="module")
def figures(dev_settings: Settings, embedder: Any) -> dict[str, dict[str, float]]:
    from search.service import SearchService

    service = SearchService(dev_settings, embedder=embedder)
    labels = labels_by_doc_id(dev_settings, SEARCH_FIXTURES / "dev_corpus.jsonl")
    return evaluate(service, load_dev_queries(SEARCH_FIXTURES / "dev_queries.jsonl"), labels)


def test_dev_set_is_the_one_the_floors_were_set_on() -> None:
    assert file_digest(DEV_FILES) == DEV_SET_SHA256, "dev set changed: re-measure and update FLOORS"


@pytest.mark.parametrize("language", ["sv", "en"])
def test_hybrid_beats_keyword_and_vector_alone(figures: dict[str, dict[str, float]], language: str) -> None:
    ndcg = figures[language]
    assert ndcg["hybrid"] >= ndcg["keyword"], ndcg
    assert ndcg["hybrid"] >= ndcg["vector"], ndcg


@pytest.mark.parametrize("language", ["sv", "en"])
def test_hybrid_stays_above_its_floor(figures: dict[str, dict[str, float]], language: str) -> None:
    assert figures[language]["hybrid"] >= FLOORS[language], figures[language]
