"""Fusing a search's chunk rankings into one ranking of documents, as arrays.

A search has up to half a dozen rankings of up to 200 chunks each (the vector one and a
keyword one per expansion: words, compound parts, names, concepts). Every candidate document
gets, per ranking, the rank of its best chunk there among the ranking's documents, and its
score is weighted reciprocal rank fusion over those ranks:

    score(d) = Σ_rankings  weight / (rrf_k + rank_of_d + 1)

Its passage is the chunk with the highest fused *chunk* score (the same sum over chunk ranks;
the first such chunk met when two tie). In "vector" mode the score is the best chunk's cosine.

Why arrays: the same rules as dictionaries of per-document objects cost a search 3-4 ms in
Python at 133k chunks (bench/api_load.py, the largest stage after embedding); numpy does it
in a fraction of that. The sums run in the same order as before (ranking by ranking), so
scores — and so result order — are the same to the last bit (bench/eval_search.py
``--rankings`` gives identical lists).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

#: Rankings that order results but do not make a document one: the vector ranking (every
#: document has some similarity) and compound parts alone ("dator" of "kvantdator"; on both
#: dev sets no document found only through a part was relevant: 0 of 83).
NOT_EVIDENCE = frozenset({"vector", "parts"})

Ranking = tuple[str, Sequence[tuple[int, float]], float]  # name, (chunk id, raw score) best first, weight
#: Chunk ids → catalog document indexes, −1 for none (search.catalog.Catalog.documents_of).
DocumentsOf = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True, slots=True)
class Fused:
    """The candidate documents of one search, one array slot each (sorted by catalog index)."""

    doc_index: np.ndarray  # int: the document's index in the catalog
    score: np.ndarray  # float64: fused score (cosine in "vector" mode)
    best_chunk: np.ndarray  # int64: the chunk shown as its passage
    evidence: np.ndarray  # bool: found by a ranking that makes a document a result on its own
    by_words: np.ndarray  # bool: found by the query's own words ("words")
    cosine: np.ndarray  # float64: its best chunk's similarity in the vector ranking (nan: none)

    def results(self, vector_floor: float | None, words_ok: np.ndarray | None = None) -> np.ndarray:
        """Slots of the documents that answer the query: evidence, or words when ``words_ok``
        (a long query's share of words, see service.MIN_SHOULD_MATCH), or similarity at least
        ``vector_floor`` (None: every candidate, as "vector" mode has no floor)."""
        if vector_floor is None:
            return np.arange(self.doc_index.size)
        words = self.by_words if words_ok is None else self.by_words & words_ok
        with np.errstate(invalid="ignore"):
            close = self.cosine >= vector_floor  # nan (no vector rank) compares False
        return np.flatnonzero(self.evidence | words | close)


def fuse(mode: str, rankings: Sequence[Ranking], documents_of: DocumentsOf, rrf_k: int) -> Fused:
    """Fuse ``rankings`` (see the module docstring); ``documents_of`` maps chunk ids to
    catalog indexes (−1: a chunk of a removed document, or one not committed yet: skipped)."""
    names = [name for name, _, _ in rankings]
    if len(set(names)) != len(names):
        raise ValueError(f"ranking names must be distinct: {names}")
    chunks = [np.fromiter((v for v, _ in r), np.int64, len(r)) for _, r, _ in rankings]
    raws = [np.fromiter((s for _, s in r), np.float64, len(r)) for _, r, _ in rankings]
    all_chunks = np.concatenate(chunks) if chunks else np.empty(0, np.int64)
    all_docs = documents_of(all_chunks)
    known = all_docs >= 0
    bounds = np.cumsum([0] + [c.size for c in chunks])
    kept = [known[lo:hi] for lo, hi in zip(bounds[:-1], bounds[1:], strict=True)]  # per ranking: live chunks
    slot_docs, occurrence_slot = np.unique(all_docs[known], return_inverse=True)
    n = slot_docs.size
    chunk_score = _chunk_scores(chunks, all_chunks, [w for _, _, w in rankings], rrf_k)[known]

    score = np.zeros(n)
    evidence = np.zeros(n, dtype=bool)
    by_words = np.zeros(n, dtype=bool)
    cosine = np.full(n, np.nan)
    offsets = np.cumsum([0] + [int(np.count_nonzero(k)) for k in kept])
    for (name, _, weight), raw, keep, lo, hi in zip(rankings, raws, kept, offsets[:-1], offsets[1:], strict=True):
        slots = occurrence_slot[lo:hi]
        present, first = np.unique(slots, return_index=True)
        order = np.argsort(first)  # the ranking's documents in the order they first appear
        ranked = present[order]
        score[ranked] += weight / (rrf_k + np.arange(ranked.size) + 1)
        if name == "words":
            by_words[ranked] = True
        elif name not in NOT_EVIDENCE:
            evidence[ranked] = True
        if name == "vector":
            cosine[ranked] = raw[keep][first[order]]
    if mode == "vector":
        score = cosine.copy()
    # The passage: the highest chunk score, the first occurrence among equals.
    occurrence = np.arange(occurrence_slot.size)
    best = np.lexsort((occurrence, -chunk_score, occurrence_slot))
    leaders = best[np.r_[True, occurrence_slot[best][1:] != occurrence_slot[best][:-1]]] if best.size else best
    return Fused(doc_index=slot_docs, score=score, best_chunk=all_chunks[known][leaders],
                 evidence=evidence, by_words=by_words, cosine=cosine)


def _chunk_scores(chunks: Sequence[np.ndarray], all_chunks: np.ndarray, weights: Sequence[float],
                  rrf_k: int) -> np.ndarray:
    """Every occurrence's fused chunk score (``all_chunks``: the rankings' chunks one after the
    other): weighted RRF of that chunk over the rankings (0 for a chunk only rankings of weight
    0 hold), summed ranking by ranking."""
    weighted = [(c, weight / (rrf_k + np.arange(c.size) + 1)) for c, weight in zip(chunks, weights, strict=True)
                if weight > 0]
    if not weighted:
        return np.zeros(all_chunks.size)
    ids = np.concatenate([c for c, _ in weighted])
    unique, inverse = np.unique(ids, return_inverse=True)
    sums = np.bincount(inverse, weights=np.concatenate([v for _, v in weighted]), minlength=unique.size)
    pos = np.clip(np.searchsorted(unique, all_chunks), 0, unique.size - 1)
    return np.where(unique[pos] == all_chunks, sums[pos], 0.0)


def words_matched(per_word: Sequence[np.ndarray], documents_of: DocumentsOf, fused: Fused,
                  share: float) -> np.ndarray:
    """Per slot of ``fused``: does the document name at least ``share`` of the query's words
    (``per_word``: each word's chunk ids), rounded up?"""
    named = sum((np.isin(fused.doc_index, documents_of(chunk_ids)) for chunk_ids in per_word),
                np.zeros(fused.doc_index.size, dtype=np.int64))
    return named >= math.ceil(share * len(per_word))
