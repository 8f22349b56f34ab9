"""Fusing chunk rankings into documents (search.fusion): the rules a reader of the results relies on."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from search.fusion import NOT_EVIDENCE, fuse, words_matched

RRF_K = 20


def _documents_of(table: dict[int, int]):  # chunk id → document index; −1 for chunks of no live document
    def lookup(vec_ids: np.ndarray) -> np.ndarray:
        return np.array([table.get(int(v), -1) for v in vec_ids], dtype=np.int32)
    return lookup


def _by_doc(fused) -> dict[int, dict[str, float]]:
    return {int(d): {"score": float(s), "chunk": int(c), "evidence": bool(e), "words": bool(w), "cosine": float(x)}
            for d, s, c, e, w, x in zip(fused.doc_index, fused.score, fused.best_chunk, fused.evidence,
                                        fused.by_words, fused.cosine, strict=True)}


def test_a_document_ranks_by_its_best_chunk_and_scores_by_weighted_rrf_over_rankings() -> None:
    docs = _documents_of({10: 0, 11: 0, 20: 1, 30: 2})
    rankings = [
        ("vector", [(11, 0.9), (20, 0.8), (10, 0.7), (30, 0.6)], 1.0),  # doc 0 twice: it takes one rank
        ("words", [(30, 5.0), (10, 4.0)], 0.5),
    ]
    got = _by_doc(fuse("hybrid", rankings, docs, RRF_K))
    assert got[0]["score"] == pytest.approx(1.0 / (RRF_K + 1) + 0.5 / (RRF_K + 2))
    assert got[1]["score"] == pytest.approx(1.0 / (RRF_K + 2))
    assert got[2]["score"] == pytest.approx(1.0 / (RRF_K + 3) + 0.5 / (RRF_K + 1))
    assert got[0]["cosine"] == pytest.approx(0.9)  # its best chunk's similarity, not the later one's
    # The passage: chunk 10 is in both rankings, so its fused chunk score beats chunk 11's.
    assert got[0]["chunk"] == 10


def test_chunks_of_no_live_document_take_no_rank_and_ties_keep_the_first_chunk_met() -> None:
    docs = _documents_of({1: 0, 2: 0, 3: 1})
    rankings = [("words", [(99, 9.0), (1, 3.0), (2, 3.0), (3, 1.0)], 1.0)]  # 99: a removed document's chunk
    got = _by_doc(fuse("keyword", rankings, docs, RRF_K))
    assert set(got) == {0, 1}
    assert got[0]["score"] == pytest.approx(1.0 / (RRF_K + 1))  # first place: the removed chunk took none
    assert got[1]["score"] == pytest.approx(1.0 / (RRF_K + 2))
    assert got[0]["chunk"] == 1  # the higher-ranked of its chunks


def test_only_evidence_makes_a_result_and_a_close_vector_match_does_too() -> None:
    docs = _documents_of({1: 0, 2: 1, 3: 2, 4: 3, 5: 4})
    rankings = [
        ("vector", [(1, 0.95), (2, 0.5), (3, 0.4), (4, 0.3)], 1.0),
        ("parts", [(2, 2.0)], 0.3),  # compound parts alone are no evidence
        ("words", [(3, 2.0)], 1.0),
        ("concept:gambling", [(5, 1.0)], 0.5),
    ]
    fused = fuse("hybrid", rankings, docs, RRF_K)
    index = fused.doc_index.tolist()
    results = {index[i] for i in fused.results(vector_floor=0.9).tolist()}
    assert results == {0, 2, 4}  # close in meaning, named the words, named the concept
    no_words = {index[i] for i in fused.results(0.9, words_ok=np.zeros(len(index), dtype=bool)).tolist()}
    assert no_words == {0, 4}  # a long query's words count only when enough of them are named
    assert set(fused.results(None).tolist()) == set(range(len(index)))  # "vector" mode: no floor
    assert "parts" in NOT_EVIDENCE and "vector" in NOT_EVIDENCE


def test_vector_mode_scores_by_the_best_chunks_similarity() -> None:
    docs = _documents_of({1: 0, 2: 0, 3: 1})
    got = _by_doc(fuse("vector", [("vector", [(3, 0.8), (1, 0.7), (2, 0.6)], 1.0)], docs, RRF_K))
    assert got[1]["score"] == pytest.approx(0.8)
    assert got[0]["score"] == pytest.approx(0.7)


def test_a_long_query_needs_half_its_words_rounded_up() -> None:
    docs = _documents_of({1: 0, 2: 1, 3: 1, 4: 2})
    fused = fuse("hybrid", [("vector", [(1, 0.5), (2, 0.5), (4, 0.5)], 1.0)], docs, RRF_K)
    per_word = [np.array([1, 2]), np.array([3]), np.array([99])]  # doc 1 names two words (in two chunks)
    ok = dict(zip(fused.doc_index.tolist(), words_matched(per_word, docs, fused, 0.5).tolist(), strict=True))
    assert ok == {0: False, 1: True, 2: False}  # 2 of 3 needed


def test_two_rankings_of_one_name_are_refused() -> None:
    with pytest.raises(ValueError, match="distinct"):
        fuse("hybrid", [("words", [], 1.0), ("words", [], 1.0)], _documents_of({}), RRF_K)


def _reference(mode: str, rankings, table: dict[int, int], rrf_k: int) -> dict[int, tuple[float, int]]:
    """The rules written out plainly, one document object at a time."""
    chunk_scores: dict[int, float] = {}
    for _, ranking, weight in rankings:
        if weight > 0:
            for rank, (vec, _) in enumerate(ranking):
                chunk_scores[vec] = chunk_scores.get(vec, 0.0) + weight / (rrf_k + rank + 1)
    docs: dict[int, dict] = {}
    for name, ranking, _ in rankings:
        rank = 0
        for vec, raw in ranking:
            d = table.get(vec, -1)
            if d < 0:
                continue
            doc = docs.setdefault(d, {"ranks": {}, "best": -1, "best_score": -math.inf, "raw": None})
            if name not in doc["ranks"]:
                doc["ranks"][name] = rank
                rank += 1
            if chunk_scores.get(vec, 0.0) > doc["best_score"]:
                doc["best"], doc["best_score"] = vec, chunk_scores.get(vec, 0.0)
            if name == "vector" and doc["raw"] is None:
                doc["raw"] = raw
    weights = {name: w for name, _, w in rankings}
    return {d: ((doc["raw"] if mode == "vector" else
                 sum(weights[n] / (rrf_k + r + 1) for n, r in doc["ranks"].items())), doc["best"])
            for d, doc in docs.items()}


@pytest.mark.parametrize("seed", range(12))
def test_the_arrays_give_the_plain_rules_scores_to_the_last_bit(seed: int) -> None:
    rng = random.Random(seed)
    table = {vec: rng.randrange(40) if rng.random() > 0.1 else -1 for vec in range(300)}
    names = ["vector", "words", "parts", "names", "concept:a", "concept:b"][: rng.randrange(1, 7)]
    rankings = [(name, [(vec, rng.random()) for vec in rng.sample(range(300), rng.randrange(0, 120))],
                 rng.choice([0.0, 0.15, 0.3, 0.5, 1.0])) for name in names]
    mode = "vector" if names == ["vector"] and seed % 2 else "hybrid"
    fused = fuse(mode, rankings, _documents_of(table), RRF_K)
    got = {int(d): (float(s), int(c)) for d, s, c in zip(fused.doc_index, fused.score, fused.best_chunk, strict=True)}
    assert got == _reference(mode, rankings, table, RRF_K)  # exact floats: the same order of additions
