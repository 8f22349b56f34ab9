"""The keyword index ranks exactly as SQLite FTS5's bm25() did, and stays exact across updates."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import numpy as np
import pytest

import search.keyword as keyword_module
from search.keyword import KeywordIndex, Segment, write_keyword_index

WORDS = ("spelberoend", "spelberoendevård", "spelmissbruk", "psykisk", "häls", "barn", "ung", "region",
         "kommun", "stöd", "anhörig", "missbruk", "beroend", "vård", "insats", "samverkan", "skol", "elev",
         "covid-19", "barn's")  # hyphens and apostrophes split tokens in FTS5: lengths and phrases follow
EXPRESSIONS = ('"spelberoend"*', '"psykisk häls"', '"beroend"*', '"barn ung"', '"covid-19"')


@pytest.fixture(autouse=True, params=["whole lists", "impact order"])
def reading(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test twice: scoring every posting, and reading long lists by impact only as deep
    as needed (the threshold path a million-chunk index takes), shrunk to this corpus' size."""
    if request.param == "impact order":
        monkeypatch.setattr(keyword_module, "IMPACT_MIN", 12)
        monkeypatch.setattr(keyword_module, "IMPACT_BLOCK", 4)
        monkeypatch.setattr(keyword_module, "FIRST_DEPTH", 8)
    return str(request.param)


def _corpus(n: int, seed: int = 3) -> dict[int, str]:
    rng = random.Random(seed)
    weights = [1 / (i + 1) for i in range(len(WORDS))]
    return {vec_id: " ".join(rng.choices(WORDS, weights=weights, k=rng.randrange(3, 40)))
            for vec_id in range(10, 10 + 3 * n, 3)}  # ids with gaps, as AUTOINCREMENT leaves them


def _fts5(rows: dict[int, str], match: str, limit: int) -> list[tuple[int, float]]:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE VIRTUAL TABLE f USING fts5(norm, tokenize='unicode61 remove_diacritics 0')")
    conn.executemany("INSERT INTO f (rowid, norm) VALUES (?, ?)", rows.items())
    return [(r[0], r[1]) for r in conn.execute(
        "SELECT rowid, -bm25(f) FROM f WHERE f MATCH ? ORDER BY bm25(f), rowid LIMIT ?", (match, limit))]


def _index(tmp_path: Path, rows: dict[int, str], previous: KeywordIndex | None = None,
           name: str = "seg-000001", rankings: tuple[tuple[str, ...], ...] = ()) -> KeywordIndex:
    generation = tmp_path / name.replace("seg", "gen")
    write_keyword_index(generation, previous, np.array(sorted(rows), dtype=np.int64),
                        lambda ids: {v: rows[v] for v in ids}, EXPRESSIONS, "1", name, rankings)
    index = KeywordIndex.load(generation)
    assert index is not None
    return index


def _same(ours: list[tuple[int, float]], theirs: list[tuple[int, float]]) -> None:
    assert [v for v, _ in ours] == [v for v, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], rtol=1e-5)


@pytest.mark.parametrize("terms", [
    ('"barn"',),
    ('"spelberoend"*',),  # a precomputed prefix: spelberoend and spelberoendevård
    ('"psykisk häls"',),  # a precomputed phrase
    ('"barn"', '"ung"', '"psykisk häls"', '"spelberoend"*', '"stöd"'),  # a query's words ORed
    ('"vår"*',),  # a prefix nobody precomputed
    ('"covid-19"', '"barn"'),  # a hyphenated term is a phrase
    ('"ingenting"',),
])
def test_rankings_and_scores_are_fts5_bm25(tmp_path: Path, terms: tuple[str, ...]) -> None:
    rows = _corpus(400)
    index = _index(tmp_path, rows)
    _same(index.search(terms, 50), _fts5(rows, " OR ".join(terms), 50))


def test_an_updated_index_ranks_like_one_built_from_scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword_module, "REBUILD_BELOW", 0)  # keep segments even for a small index
    first = _corpus(400)
    index = _index(tmp_path, first)
    # The next run: a fifth of the chunks gone (changed or removed documents), new ones added.
    later = {v: t for v, t in first.items() if v % 15 != 1}
    later.update({v + 10_000: t for v, t in _corpus(120, seed=9).items()})
    updated = _index(tmp_path, later, previous=index, name="seg-000002")
    assert len(updated.segments) == 2 and any(not live.all() for live in updated.live)
    assert len(updated) == len(later)
    for terms in (('"barn"', '"spelberoend"*'), ('"psykisk häls"',), ('"missbruk"', '"anhörig"')):
        _same(updated.search(terms, 60), _fts5(later, " OR ".join(terms), 60))
    # The first generation is untouched by the second (its readers keep their answers).
    _same(index.search(('"barn"',), 20), _fts5(first, '"barn"', 20))


def test_segments_are_merged_when_they_pile_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword_module, "REBUILD_BELOW", 0)
    rows = _corpus(50)
    index = _index(tmp_path, rows)
    for run in range(2, 2 + keyword_module.MAX_SEGMENTS + 1):
        rows = {**rows, 100_000 + run: "barn stöd"}
        index = _index(tmp_path, rows, previous=index, name=f"seg-{run:06d}")
        assert len(index.segments) <= keyword_module.MAX_SEGMENTS
    _same(index.search(('"barn"',), 30), _fts5(rows, '"barn"', 30))


def test_a_filter_restricts_rows_but_keeps_the_whole_index_statistics(tmp_path: Path) -> None:
    rows = _corpus(300)
    index = _index(tmp_path, rows)
    allowed = {v for v in rows if v % 2 == 0}
    masks = index.row_masks(lambda ids: np.isin(ids, list(allowed)))
    filtered = index.search(('"barn"', '"stöd"'), 40, masks)
    unfiltered = dict(index.search(('"barn"', '"stöd"'), 10_000))
    assert filtered and all(v in allowed for v, _ in filtered)
    assert all(np.isclose(score, unfiltered[v]) for v, score in filtered)  # the same BM25 as unfiltered


CONCEPT = ('"spelberoend"*', '"spelmissbruk"', '"beroend"*', '"psykisk häls"', '"missbruk"')


def test_a_concept_ranked_when_the_index_was_written_answers_as_a_search_would(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyword_module, "REBUILD_BELOW", 0)
    first = _corpus(400)
    stored = _index(tmp_path, first, rankings=(CONCEPT,))
    later = {v: t for v, t in first.items() if v % 7 != 3} | {v + 10_000: t for v, t in _corpus(90, seed=4).items()}
    updated = _index(tmp_path, later, previous=stored, name="seg-000002", rankings=(CONCEPT,))
    for index, rows in ((stored, first), (updated, later)):
        assert index.manifest.get("rankings")
        _same(index.search(CONCEPT, 50), _fts5(rows, " OR ".join(CONCEPT), 50))
        allowed = [v for v in rows if v % 3 == 0]
        masks = index.row_masks(lambda ids, allowed=allowed: np.isin(ids, allowed))
        filtered = index.search(CONCEPT, 25, masks)
        _same(filtered, [(v, s) for v, s in _fts5(rows, " OR ".join(CONCEPT), 10_000) if v % 3 == 0][:25])
    assert updated.search(CONCEPT[:2], 20) == _index(tmp_path / "plain", later).search(CONCEPT[:2], 20)


def test_a_token_longer_than_the_stored_width_still_matches(tmp_path: Path) -> None:
    long = "a" * 30 + "ö" * 30  # 90 bytes of UTF-8, cut inside the stored width
    rows = {1: f"{long} barn", 2: "barn", 3: f"{long}x"}
    index = _index(tmp_path, rows)
    assert {v for v, _ in index.search((f'"{long}"',), 10)} >= {1}


def test_precomputed_expressions_equal_the_computed_ones(tmp_path: Path) -> None:
    rows = _corpus(200)
    segment = Segment.build(tmp_path / "seg", sorted(rows.items()), EXPRESSIONS)
    bare = Segment.build(tmp_path / "bare", sorted(rows.items()), ())
    for expression in ('"spelberoend"*', '"beroend"*'):
        ours, theirs = segment.postings(expression), bare.postings(expression)
        assert expression in segment.extras
        assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


@pytest.mark.parametrize("reading", ["impact order"], indirect=True)
def test_an_index_written_before_impact_order_ranks_the_same_and_gains_it_on_the_next_update(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reading: str) -> None:
    monkeypatch.setattr(keyword_module, "REBUILD_BELOW", 0)
    rows = _corpus(400)
    index = _index(tmp_path, rows)
    for name in ("impact_indptr", "impact_rows", "bound_indptr", "impact_bounds"):  # as an older version wrote it
        (index.segments[0].path / f"{name}.npy").unlink()
    old = KeywordIndex.load(tmp_path / "gen-000001")
    assert old is not None and old.segments[0].impacts is None
    terms = ('"barn"', '"ung"', '"spelberoend"*')
    _same(old.search(terms, 40), _fts5(rows, " OR ".join(terms), 40))
    later = dict(rows) | {v + 10_000: t for v, t in _corpus(50, seed=5).items()}
    updated = _index(tmp_path, later, previous=old, name="seg-000002")
    assert all(s.impacts is not None for s in updated.segments)
    assert old.segments[0].impacts is None and not (old.segments[0].path / "impact_rows.npy").exists()
    _same(updated.search(terms, 40), _fts5(later, " OR ".join(terms), 40))
