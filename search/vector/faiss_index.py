"""FAISS backend: an id map over exact flat inner product, or HNSW above a size threshold.

Why two structures: up to ``exact_max`` vectors (default 50k ≈ a few thousand documents)
an exact scan takes a few milliseconds and is never wrong; above it, HNSW keeps queries in
the millisecond range (bench/search_latency.py: efSearch 256 at 100k hard synthetic vectors,
p95 3 ms, recall@10 0.85; real embeddings are more clustered and easier).
The switch happens automatically when an update crosses the threshold.

HNSW stores its vectors as float16 (FAISS's ``IndexHNSWSQ`` with ``QT_fp16``): half the
memory of float32 for the same neighbours. A cosine between unit vectors moves by about 1e-4
(float16 keeps 11 bits), far below the gap between one result and the next, and the index's
memory is then close to the raw vectors' size at a million chunks (issue 15's target is
1.3× the raw float32 vectors plus the model). An index written before (float32 HNSW) is
converted when it is next saved, keeping its graph: nothing is embedded or rebuilt again.

HNSW cannot remove vectors, so deletions there are tombstones: the ids stay in the graph
(still useful as stepping stones) but are excluded by an ``IDSelector`` at search time;
when tombstones pass 10% of the index it is rebuilt from the live vectors.

Filtered search is done *inside* the search, never on its results: a small allowed set
(≤ ``exact_max`` ids) is scored exactly with one matrix product over those vectors; a
large one goes through FAISS with an ``IDSelectorBatch`` (and a wider HNSW beam, since
most of the graph is then off limits).
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Literal

import faiss
import numpy as np

from regionsok.errors import IndexError_
from search.vector.base import VectorIndex, VectorMatches

logger = logging.getLogger(__name__)

IndexKind = Literal["flat", "hnsw"]
_INDEX_FILE = "vectors.faiss"
_DEAD_FILE = "tombstones.npy"
_META_FILE = "vectors.json"
_REBUILD_DEAD_FRACTION = 0.10
#: From this many allowed vectors on, a filtered search of the float16 store scans it with a
#: bitmap of them (:meth:`FaissIndex._scan_subset`); fewer are decoded and scored directly,
#: which is cheaper for a handful (0.15 ms against 0.7 ms for 100 of 133k).
SUBSET_SCAN_MIN = 1024
_FLOAT16: Any = faiss.ScalarQuantizer.QT_fp16  # (the stubs type this argument wrongly)


class FaissIndex(VectorIndex):
    """Inner-product index with int64 ids; exact below ``exact_max`` vectors, HNSW above."""

    def __init__(
        self,
        dim: int,
        *,
        exact_max: int = 50_000,
        hnsw_m: int = 32,
        ef_construction: int = 64,
        ef_search: int = 256,
        kind: IndexKind | None = None,
    ) -> None:
        self.dim = dim
        self.exact_max = exact_max
        self.hnsw_m = hnsw_m
        self.ef_construction = ef_construction
        self.ef_search = ef_search
        self._index = self._new_index(kind or "flat")
        self._dead = np.empty(0, dtype=np.int64)
        self._id_cache: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        # Selectors of recent allowed-id arrays (a search server passes the same read-only array
        # for the same filter): building one hashes every id, milliseconds for a large filter.
        self._selectors: OrderedDict[int, tuple[np.ndarray, np.ndarray, Any]] = OrderedDict()
        self._selector_lock = threading.Lock()

    # -- structure ----------------------------------------------------------------------

    @property
    def kind(self) -> IndexKind:
        inner = faiss.downcast_index(self._index.index)
        return "hnsw" if isinstance(inner, faiss.IndexHNSW) else "flat"

    def _new_index(self, kind: IndexKind) -> faiss.IndexIDMap2:
        inner: Any
        if kind == "hnsw":
            inner = faiss.IndexHNSWSQ(self.dim, _FLOAT16, self.hnsw_m, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efConstruction = self.ef_construction
            inner.hnsw.efSearch = self.ef_search
        else:
            inner = faiss.IndexFlatIP(self.dim)
        return faiss.IndexIDMap2(inner)

    def _storage(self) -> np.ndarray:
        """A zero-copy (ntotal, dim) view of the stored vectors, in internal order: float32 for
        the exact index, float16 for HNSW."""
        inner = faiss.downcast_index(self._index.index)
        store: Any = faiss.downcast_index(inner.storage) if isinstance(inner, faiss.IndexHNSW) else inner
        n = int(store.ntotal)
        if isinstance(store, faiss.IndexScalarQuantizer):
            if store.sq.qtype != _FLOAT16:
                raise IndexError_(f"unexpected vector encoding {store.sq.qtype} in the HNSW index")
            if n == 0:
                return np.empty((0, self.dim), dtype=np.float16)
            codes = faiss.rev_swig_ptr(store.codes.data(), n * store.code_size)
            return np.frombuffer(codes, dtype=np.float16).reshape(n, self.dim)
        if n == 0:
            return np.empty((0, self.dim), dtype=np.float32)
        return faiss.rev_swig_ptr(store.get_xb(), n * self.dim).reshape(n, self.dim)

    def _to_half_precision(self) -> None:
        """Convert a float32 HNSW index (written before float16 storage) keeping its graph."""
        inner = faiss.downcast_index(self._index.index)
        if not isinstance(inner, faiss.IndexHNSWFlat):
            return
        index = self._new_index("hnsw")  # empty: an id map takes only an empty index
        converted: Any = faiss.downcast_index(index.index)
        converted.hnsw = inner.hnsw  # a copy of the graph: the neighbours stay who they were
        converted.hnsw.efSearch = self.ef_search
        converted.storage.add(np.ascontiguousarray(self._storage(), dtype=np.float32))
        converted.ntotal = inner.ntotal
        faiss.copy_array_to_vector(faiss.vector_to_array(self._index.id_map).astype(np.int64), index.id_map)
        index.ntotal = converted.ntotal
        index.construct_rev_map()
        self._index = index
        self._id_cache = None
        logger.info("vector index converted to float16 storage", extra={"vectors": int(inner.ntotal)})

    def _ids_sorted(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(internal→external ids, argsort of them, the sorted external ids), cached."""
        if self._id_cache is None:
            id_map = faiss.vector_to_array(self._index.id_map).astype(np.int64, copy=False)
            order = np.argsort(id_map, kind="stable")
            self._id_cache = (id_map, order, id_map[order])
        return self._id_cache

    def _rebuild(self, kind: IndexKind) -> None:
        """Rebuild from the live vectors (kind switch, or too many tombstones)."""
        id_map, _, _ = self._ids_sorted()
        vectors = self._storage()
        live = ~np.isin(id_map, self._dead) if self._dead.size else np.ones(id_map.shape, dtype=bool)
        ids, vecs = id_map[live].copy(), np.ascontiguousarray(vectors[live], dtype=np.float32)
        logger.info("rebuilding vector index", extra={"kind": kind, "vectors": int(ids.size)})
        self._index = self._new_index(kind)
        self._dead = np.empty(0, dtype=np.int64)
        self._id_cache = None
        if ids.size:
            self._index.add_with_ids(vecs, ids)

    # -- VectorIndex ----------------------------------------------------------------------

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[1] != self.dim or vectors.shape[0] != ids.shape[0]:
            raise IndexError_(f"expected ({ids.shape[0]}, {self.dim}) vectors, got {vectors.shape}")
        if ids.size == 0:
            return
        if self.kind == "flat" and len(self) + ids.size > self.exact_max:
            self._index.add_with_ids(vectors, ids)
            self._id_cache = None
            self._rebuild("hnsw")
            return
        self._index.add_with_ids(vectors, ids)
        self._id_cache = None

    def delete(self, ids: np.ndarray) -> int:
        ids = np.unique(np.asarray(ids, dtype=np.int64))
        if ids.size == 0:
            return 0
        _, _, sorted_ids = self._ids_sorted()
        present = ids[np.isin(ids, sorted_ids) & ~np.isin(ids, self._dead)]
        if present.size == 0:
            return 0
        if self.kind == "flat":
            self._index.remove_ids(faiss.IDSelectorBatch(present))
            self._id_cache = None
        else:
            self._dead = np.union1d(self._dead, present)
            if self._dead.size > _REBUILD_DEAD_FRACTION * self._index.ntotal:
                live = self._index.ntotal - self._dead.size
                self._rebuild("hnsw" if live > self.exact_max else "flat")
        return int(present.size)

    def sample(self, count: int) -> np.ndarray:
        """Up to ``count`` stored vectors, evenly spread over the index (a copy; deterministic)."""
        vectors = self._storage()
        if len(vectors) <= count:
            return np.array(vectors, dtype=np.float32)
        picks = np.linspace(0, len(vectors) - 1, count).astype(np.int64)
        return np.array(vectors[picks], dtype=np.float32)

    def ids(self) -> np.ndarray:
        id_map, _, _ = self._ids_sorted()
        if self._dead.size:
            return id_map[~np.isin(id_map, self._dead)]
        return id_map.copy()

    def __len__(self) -> int:
        return int(self._index.ntotal - self._dead.size)

    def max_id(self) -> int:
        """The largest id ever added and still stored (tombstoned ones included), or -1."""
        _, _, sorted_ids = self._ids_sorted()
        return int(sorted_ids[-1]) if sorted_ids.size else -1

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> VectorMatches:
        q = np.ascontiguousarray(np.asarray(query, dtype=np.float32).reshape(1, self.dim))
        if k <= 0 or self._index.ntotal == 0:
            return VectorMatches(np.empty(0, np.int64), np.empty(0, np.float32))
        selector: Any = None
        if allowed is not None:
            allowed, selector = self._allowed(allowed)
            if allowed.size == 0:
                return VectorMatches(np.empty(0, np.int64), np.empty(0, np.float32))
            if allowed.size <= self.exact_max:
                return self._search_subset(q[0], k, allowed)
        params: Any = None
        if allowed is None and self._dead.size:
            selector = faiss.IDSelectorNot(faiss.IDSelectorBatch(self._dead))
        if self.kind == "hnsw":
            params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            ef = max(self.ef_search, k)
            if allowed is not None:
                # A selective filter hides most of the graph: widen the beam accordingly. (A
                # narrower beam is cheaper but finds less: bench/filtered_vectors.py at 1.33M
                # vectors, a twentieth allowed, recall@10 0.43 at ef 256, 0.59 at 1024, 0.71 at
                # 4096, against 0.54 unfiltered at 256, on the bench's hard hashed vectors.)
                ef = int(min(4096, ef * max(1.0, self._index.ntotal / max(1, allowed.size))))
            params.efSearch = ef
        if selector is not None:
            params = params or faiss.SearchParameters()
            params.sel = selector
        scores, ids = self._index.search(q, k, params=params)
        keep = ids[0] >= 0
        return VectorMatches(ids[0][keep].astype(np.int64), scores[0][keep].astype(np.float32))

    def _allowed(self, allowed: np.ndarray) -> tuple[np.ndarray, Any]:
        """``allowed`` without tombstones, and its FAISS selector (None when it is small enough
        to be scored exactly); kept for the last few arrays passed (by identity)."""
        key = id(allowed)
        with self._selector_lock:
            found = self._selectors.get(key)
            if found is not None and found[0] is allowed:
                self._selectors.move_to_end(key)
                return found[1], found[2]
        given = allowed
        allowed = np.asarray(allowed, dtype=np.int64)
        if self._dead.size:
            allowed = allowed[~np.isin(allowed, self._dead)]
        selector = faiss.IDSelectorBatch(allowed) if allowed.size > self.exact_max else None
        if not given.flags.writeable:  # only an array nobody can change is safe to remember
            with self._selector_lock:
                self._selectors[key] = (given, allowed, selector)
                while len(self._selectors) > 16:
                    self._selectors.popitem(last=False)
        return allowed, selector

    def _search_subset(self, q: np.ndarray, k: int, allowed: np.ndarray) -> VectorMatches:
        """Exact scores over just the allowed ids (one matrix-vector product)."""
        _, order, sorted_ids = self._ids_sorted()
        pos = np.searchsorted(sorted_ids, allowed)
        pos = np.clip(pos, 0, max(0, sorted_ids.size - 1))
        found = sorted_ids[pos] == allowed
        ids = allowed[found]
        internal = order[pos[found]]
        if internal.size >= SUBSET_SCAN_MIN and self._storage().dtype != np.float32:
            return self._scan_subset(q, k, internal)
        scores = self._vectors_at(internal) @ q
        top = min(k, scores.size)
        best = np.argpartition(-scores, top - 1)[:top] if top < scores.size else np.arange(scores.size)
        best = best[np.argsort(-scores[best], kind="stable")]
        return VectorMatches(ids[best].astype(np.int64), scores[best].astype(np.float32))

    def _scan_subset(self, q: np.ndarray, k: int, internal: np.ndarray) -> VectorMatches:
        """The float16 store's own scan, told by a bitmap which positions to score.

        FAISS skips the positions the bitmap leaves out and scores the others on the codes in
        place; gathering and decoding them first cost twice as much at 6,400 of 133k vectors and
        six times as much at 60,000 (bench/filtered_vectors.py)."""
        inner: Any = faiss.downcast_index(self._index.index)
        store: Any = faiss.downcast_index(inner.storage)
        mask = np.zeros(int(store.ntotal), dtype=bool)
        mask[internal] = True
        bits = np.packbits(mask, bitorder="little")  # position i is bit i % 8 of byte i // 8
        params = faiss.SearchParameters()
        params.sel = faiss.IDSelectorBitmap(mask.size, faiss.swig_ptr(bits))
        scores, positions = store.search(q.reshape(1, self.dim), min(k, internal.size), params=params)
        keep = positions[0] >= 0
        id_map, _, _ = self._ids_sorted()
        return VectorMatches(id_map[positions[0][keep]].astype(np.int64), scores[0][keep].astype(np.float32))

    def _vectors_at(self, internal: np.ndarray) -> np.ndarray:
        """float32 vectors at internal positions (float16 ones decoded by FAISS: numpy's
        float16 arithmetic is emulated and several times slower)."""
        stored = self._storage()
        if stored.dtype == np.float32:
            return stored[internal]
        inner: Any = faiss.downcast_index(self._index.index)
        codes = stored.view(np.uint8)[internal]
        return np.asarray(faiss.downcast_index(inner.storage).sa_decode(codes), dtype=np.float32)

    # -- persistence ----------------------------------------------------------------------

    def save(self, directory: Path) -> None:
        self._to_half_precision()
        directory.mkdir(parents=True, exist_ok=True)
        try:
            faiss.write_index(self._index, str(directory / _INDEX_FILE))
        except RuntimeError as err:
            raise IndexError_(f"cannot write vector index to {directory}: {err}") from err
        np.save(directory / _DEAD_FILE, self._dead)
        meta = {"dim": self.dim, "kind": self.kind, "vectors": len(self), "exact_max": self.exact_max,
                "storage": "float16" if self.kind == "hnsw" else "float32",
                "hnsw_m": self.hnsw_m, "ef_construction": self.ef_construction, "ef_search": self.ef_search}
        (directory / _META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, *, mapped: bool = False) -> FaissIndex:
        # IO_FLAG_MMAP_IFC maps the stored vectors (and HNSW's graph) in place: a search server's
        # workers share one copy in the page cache instead of reading one each.
        flags = faiss.IO_FLAG_MMAP_IFC if mapped else 0
        try:
            meta = json.loads((directory / _META_FILE).read_text(encoding="utf-8"))
            index = faiss.read_index(str(directory / _INDEX_FILE), flags)
            dead = np.load(directory / _DEAD_FILE)
        except (OSError, ValueError, RuntimeError) as err:
            raise IndexError_(f"cannot read vector index in {directory}: {err}") from err
        out = cls(meta["dim"], exact_max=meta["exact_max"], hnsw_m=meta["hnsw_m"],
                  ef_construction=meta["ef_construction"], ef_search=meta["ef_search"])
        if not isinstance(index, faiss.IndexIDMap2):
            raise IndexError_(f"{directory / _INDEX_FILE} is not an id-mapped index")
        out._index = index
        out._dead = dead.astype(np.int64)
        return out
