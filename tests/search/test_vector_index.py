"""The FAISS backend: exact and HNSW answers agree, filters apply inside the search, saves round-trip."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from regionsok.errors import IndexError_
from search.vector.faiss_index import SUBSET_SCAN_MIN, FaissIndex

DIM = 32


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _exact_top(vectors: np.ndarray, ids: np.ndarray, q: np.ndarray, k: int) -> list[int]:
    return ids[np.argsort(-(vectors @ q), kind="stable")[:k]].tolist()


def test_index_switches_to_hnsw_past_the_threshold_and_still_finds_the_neighbours() -> None:
    vectors, ids = _vectors(600), np.arange(1000, 1600, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=200)
    index.add(ids[:150], vectors[:150])
    assert index.kind == "flat"
    index.add(ids[150:], vectors[150:])
    assert index.kind == "hnsw"
    queries = _vectors(20, seed=1)
    recall = np.mean([len(set(index.search(q, 10).ids.tolist()) & set(_exact_top(vectors, ids, q, 10))) / 10
                      for q in queries])
    assert recall >= 0.9


@pytest.mark.parametrize("exact_max", [10_000, 100])  # flat, and HNSW with a large allowed set
def test_filtered_search_returns_the_best_k_among_the_allowed_ids(exact_max: int) -> None:
    vectors, ids = _vectors(400), np.arange(400, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=exact_max)
    index.add(ids, vectors)
    allowed = ids[ids % 3 == 0]
    q = _vectors(1, seed=2)[0]
    found = index.search(q, 5, allowed=allowed).ids.tolist()
    assert len(found) == 5
    assert set(found) <= set(allowed.tolist())
    assert found[0] == _exact_top(vectors[allowed], allowed, q, 1)[0]


@pytest.mark.parametrize("exact_max", [10_000, 100])
def test_deleted_ids_are_never_returned(exact_max: int) -> None:
    vectors, ids = _vectors(300), np.arange(300, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=exact_max)
    index.add(ids, vectors)
    q = vectors[7]
    assert index.search(q, 1).ids.tolist() == [7]
    assert index.delete(np.array([7, 9999])) == 1
    assert 7 not in index.search(q, 10).ids.tolist()
    assert len(index) == 299
    assert 7 not in index.ids().tolist()


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    vectors, ids = _vectors(300), np.arange(5, 305, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=100)
    index.add(ids, vectors)
    index.delete(ids[:3])
    index.save(tmp_path / "gen")
    loaded = FaissIndex.load(tmp_path / "gen")
    assert loaded.kind == "hnsw"
    assert len(loaded) == 297
    assert loaded.search(vectors[50], 3).ids.tolist() == index.search(vectors[50], 3).ids.tolist()


def test_a_corrupt_index_file_is_an_index_error(tmp_path: Path) -> None:
    index = FaissIndex(DIM)
    index.add(np.arange(3, dtype=np.int64), _vectors(3))
    index.save(tmp_path / "gen")
    (tmp_path / "gen" / "vectors.faiss").write_bytes(b"not an index")
    with pytest.raises(IndexError_):
        FaissIndex.load(tmp_path / "gen")


def test_vectors_of_the_wrong_shape_are_refused() -> None:
    with pytest.raises(IndexError_):
        FaissIndex(DIM).add(np.arange(2, dtype=np.int64), np.zeros((2, DIM + 1), dtype=np.float32))


@pytest.mark.parametrize("exact_max", [10_000, 100])  # flat and HNSW
def test_a_memory_mapped_index_answers_like_the_one_it_was_saved_from(tmp_path: Path, exact_max: int) -> None:
    vectors, ids = _vectors(500), np.arange(7, 507, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=exact_max)
    index.add(ids, vectors)
    index.delete(ids[:20])
    index.save(tmp_path / "gen")
    mapped = FaissIndex.load(tmp_path / "gen", mapped=True)  # what a search server loads
    allowed = ids[::3].copy()
    allowed.setflags(write=False)  # a filter's cached id array, as the service passes it
    for q in _vectors(5, seed=4):
        assert mapped.search(q, 10).ids.tolist() == index.search(q, 10).ids.tolist()
        for _ in range(2):  # the second time from the selector cache
            assert mapped.search(q, 10, allowed=allowed).ids.tolist() == index.search(q, 10, allowed=allowed).ids.tolist()
    assert len(mapped) == len(index) == 480


def test_hnsw_keeps_its_vectors_in_half_the_bytes_and_finds_the_same_neighbours(tmp_path: Path) -> None:
    import faiss

    vectors, ids = _vectors(400), np.arange(400, dtype=np.int64)
    flat, hnsw = FaissIndex(DIM, exact_max=10_000), FaissIndex(DIM, exact_max=100)
    flat.add(ids, vectors)
    hnsw.add(ids, vectors)
    flat.save(tmp_path / "flat")
    hnsw.save(tmp_path / "hnsw")
    float32_hnsw = faiss.IndexIDMap2(faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT))
    float32_hnsw.add_with_ids(vectors, ids)  # the same graph size with float32 vectors
    faiss.write_index(float32_hnsw, str(tmp_path / "float32.faiss"))
    saved = (tmp_path / "float32.faiss").stat().st_size - (tmp_path / "hnsw" / "vectors.faiss").stat().st_size
    assert saved >= 0.45 * vectors.nbytes  # half of the vectors' bytes, give or take the graph
    for q in _vectors(10, seed=6):
        exact = flat.search(q, 1)
        found = hnsw.search(q, 1)
        assert found.ids.tolist() == exact.ids.tolist()
        assert abs(float(found.scores[0]) - float(exact.scores[0])) < 1e-3


def test_a_float32_hnsw_index_of_an_older_version_is_converted_when_saved_and_answers_the_same(
        tmp_path: Path) -> None:
    import faiss

    vectors, ids = _vectors(300), np.arange(10, 310, dtype=np.int64)
    old = faiss.IndexIDMap2(faiss.IndexHNSWFlat(DIM, 32, faiss.METRIC_INNER_PRODUCT))
    old.add_with_ids(vectors, ids)
    index = FaissIndex(DIM, exact_max=100)
    index._index = old  # as FaissIndex.load reads an index an older Regionsök wrote
    queries = _vectors(8, seed=7)
    before = [index.search(q, 5).ids.tolist() for q in queries]
    index.save(tmp_path / "gen")
    loaded = FaissIndex.load(tmp_path / "gen", mapped=True)
    assert isinstance(faiss.downcast_index(loaded._index.index), faiss.IndexHNSWSQ)
    assert loaded.ids().tolist() == ids.tolist()
    after = [loaded.search(q, 5).ids.tolist() for q in queries]
    assert np.mean([len(set(a) & set(b)) / 5 for a, b in zip(before, after, strict=True)]) >= 0.9
    assert loaded.search(vectors[42], 1).ids.tolist() == [52]


def test_a_small_filter_on_an_hnsw_index_is_scored_exactly_over_its_half_precision_vectors() -> None:
    vectors, ids = _vectors(400), np.arange(400, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=100)
    index.add(ids, vectors)
    assert index.kind == "hnsw"
    allowed = ids[ids % 9 == 0]  # 45 ids: fewer than exact_max, so no graph walk
    for q in _vectors(5, seed=8):
        found = index.search(q, 10, allowed=allowed)
        assert found.ids.tolist() == _exact_top(vectors[allowed], allowed, q, 10)
        assert np.allclose(found.scores, np.sort(vectors[allowed] @ q)[::-1][:10], atol=1e-3)


def test_a_larger_filter_on_an_hnsw_index_scans_only_its_vectors_and_finds_the_exact_top(tmp_path: Path) -> None:
    n = 4 * SUBSET_SCAN_MIN
    vectors, ids = _vectors(n, seed=11), np.arange(1000, 1000 + n, dtype=np.int64)
    index = FaissIndex(DIM, exact_max=3 * SUBSET_SCAN_MIN)
    index.add(ids, vectors)
    index.delete(ids[::50])  # tombstones inside the filter must not come back
    index.save(tmp_path / "gen")
    mapped = FaissIndex.load(tmp_path / "gen", mapped=True)
    keep = (ids % 3 != 0) & (ids % 50 != 0)
    allowed = ids[ids % 3 != 0]  # about 2,700: more than SUBSET_SCAN_MIN, fewer than exact_max
    assert SUBSET_SCAN_MIN <= allowed.size <= mapped.exact_max
    for q in _vectors(5, seed=12):
        found = mapped.search(q, 20, allowed=allowed)
        assert found.ids.tolist() == _exact_top(vectors[keep], ids[keep], q, 20)
        assert np.allclose(found.scores, np.sort(vectors[keep] @ q)[::-1][:20], atol=1e-3)
    assert mapped.search(_vectors(1, seed=13)[0], 20, allowed=allowed[1:6]).ids.size == 5  # fewer than k
