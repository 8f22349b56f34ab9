"""pgvector HNSW in PostgreSQL vs the published FAISS generation, for API replicas: JSON.

Issue 16 asks whether replicas should search vectors kept in the shared PostgreSQL store
(pgvector) or the FAISS generation the indexer publishes (what `regionsok serve` maps today).
Both get the same vectors: the ones in a data directory's current FAISS generation (read-only;
by default the 133k-chunk bench corpus of `bench/api_load.py --chunks 100000`), with each
chunk's counties from that data directory's store, opened read-only.

(a) pgvector: a table ``(vec_id bigint, counties text[], embedding vector(dim))`` loaded with
    binary COPY, an HNSW index with inner-product ops (``vector_ip_ops``: the vectors are unit
    length, so inner product is cosine, as in FAISS) and the generation's own ``m`` /
    ``ef_construction``, ``hnsw.ef_search`` = the generation's ``ef_search``; a GIN index on
    ``counties`` so the planner may filter first. Queried through psycopg over a real
    connection to a separate server process, as a replica would (prepared statements, the
    query vector sent as a parameter).
(b) FAISS: the published generation loaded as the service loads it (``FaissIndex.load(…,
    mapped=True)`` after a read through the page cache), searched through ``FaissIndex.search``
    with the service's ``allowed`` id arrays for a county filter; its build time is a fresh
    ``IndexHNSWFlat`` with the same parameters over the same vectors.

Per system: build seconds, bytes on disk, memory once warm, query p50/p95/mean for the
service's top-k (``k`` = the service's candidate depth, 200, for a page of 10) without and with
a county filter, and recall@10 / recall@k against an exact scan (a county-filtered exact scan
for filtered queries), plus how many rows came back: pgvector 0.6 filters HNSW results
*after* the graph walk (``WHERE`` on the ``ef_search`` candidates), so a filter that keeps
1/20 of the rows returns about ef_search/20 of them; iterative scans came only in 0.8.
Filtered pgvector is measured three ways: the planner's own choice (with the GIN index it
may scan the county's rows exactly), HNSW forced, and HNSW forced at ef_search 1000 (0.6's
maximum).

Queries are stored vectors plus Gaussian noise (then unit length): the corpus' own
distribution, none identical to a stored vector. Latency excludes query embedding (the same
for both; see bench/search_latency.py).

The PostgreSQL server: ``--url`` (a database to create the table in), or by default a
throw-away pgserver (PostgreSQL 16, pgvector 0.6) in a temporary directory with
``shared_buffers`` big enough to hold the index, as a replica's database would be tuned.

Run: .venv/bin/python bench/pgvector_vs_faiss.py [--data-dir /work/bench/d100k] [--queries 200]
         [--url postgresql://…] [--out bench/results/pgvector_vs_faiss-100k.json]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import struct
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import faiss  # noqa: E402

from regionsok.settings import Settings  # noqa: E402
from regionsok.store import open_store  # noqa: E402
from search.runtime import apply_process_settings, warm_page_cache  # noqa: E402
from search.vector import FaissIndex  # noqa: E402

DEFAULT_DATA_DIR = Path("/work/bench/d100k")
TABLE = "bench_chunk_vectors"
#: pgvector 0.6's largest hnsw.ef_search.
PG_MAX_EF_SEARCH = 1000


@dataclass(frozen=True, slots=True)
class Corpus:
    """The generation's vectors (internal order), their ids and each id's counties."""

    generation: Path
    ids: np.ndarray  # int64
    vectors: np.ndarray  # float32 (n, dim), unit length
    counties: list[tuple[str, ...]]
    meta: dict[str, Any]


@dataclass(frozen=True, slots=True)
class QuerySet:
    vectors: np.ndarray  # (q, dim)
    counties: list[str]  # the county filter of each query (filtered runs)


def load_corpus(data_dir: Path) -> Corpus:
    """The current generation's vectors and ids (a copy: nothing is written to ``data_dir``)."""
    index_dir = data_dir / "index"
    generation = index_dir / (index_dir / "CURRENT").read_text().strip()
    meta = json.loads((generation / "vectors.json").read_text())
    index = faiss.read_index(str(generation / "vectors.faiss"), faiss.IO_FLAG_MMAP_IFC)
    inner = faiss.downcast_index(index.index)
    storage = faiss.downcast_index(inner.storage) if isinstance(inner, faiss.IndexHNSW) else inner
    n = int(storage.ntotal)
    vectors = faiss.rev_swig_ptr(storage.get_xb(), n * index.d).reshape(n, index.d).copy()
    ids = faiss.vector_to_array(index.id_map).astype(np.int64)
    dead = np.load(generation / "tombstones.npy")
    live = ~np.isin(ids, dead)
    ids, vectors = ids[live], vectors[live]
    del index
    # The store's county facet per document, spread over its chunks (a document may name several).
    with open_store(data_dir / "regionsok.sqlite3", readonly=True) as store:
        vec_ids, doc_ids = store.chunk_documents()
        by_doc: dict[str, list[str]] = {}
        for doc_id, _facet, value, _norm in store.document_facet_rows(("county",)):
            by_doc.setdefault(doc_id, []).append(value)
    doc_of = dict(zip(vec_ids.tolist(), doc_ids, strict=True))
    counties = [tuple(by_doc.get(doc_of.get(i, ""), ())) for i in ids.tolist()]
    return Corpus(generation, ids, vectors, counties, meta)


def make_queries(corpus: Corpus, count: int, seed: int = 11) -> QuerySet:
    """Stored vectors plus noise of about their spread; each with a county its source names."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(corpus.ids), size=count, replace=False)
    spread = float(np.std(corpus.vectors[picks[: min(count, 1000)]], axis=0).mean())
    noisy = corpus.vectors[picks] + rng.standard_normal((count, corpus.vectors.shape[1])).astype(np.float32) * spread
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    named = sorted({c for cs in corpus.counties for c in cs})
    counties = [corpus.counties[p][0] if corpus.counties[p] else named[int(rng.integers(len(named)))] for p in picks]
    return QuerySet(noisy.astype(np.float32), counties)


def exact_top(corpus: Corpus, queries: QuerySet, k: int, filtered: bool) -> list[np.ndarray]:
    """The exact best ``k`` ids per query (among the query's county when ``filtered``)."""
    out = []
    county_rows: dict[str, np.ndarray] = {}
    for q, county in zip(queries.vectors, queries.counties, strict=True):
        if filtered:
            rows = county_rows.get(county)
            if rows is None:
                rows = np.fromiter((i for i, cs in enumerate(corpus.counties) if county in cs), dtype=np.int64)
                county_rows[county] = rows
            scores = corpus.vectors[rows] @ q
            best = rows[np.argsort(-scores, kind="stable")[:k]]
        else:
            scores = corpus.vectors @ q
            best = np.argpartition(-scores, k)[:k]
            best = best[np.argsort(-scores[best], kind="stable")]
        out.append(corpus.ids[best])
    return out


def summarise(latencies: list[float], got: list[np.ndarray], exact: list[np.ndarray], k: int) -> dict[str, Any]:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000, 2)

    def recall(depth: int) -> float:
        found = [len(set(g[:depth].tolist()) & set(e[:depth].tolist())) / max(1, min(depth, len(e)))
                 for g, e in zip(got, exact, strict=True)]
        return round(statistics.fmean(found), 4)

    return {"p50_ms": pct(0.50), "p95_ms": pct(0.95), "mean_ms": round(statistics.fmean(latencies) * 1000, 2),
            "recall@10": recall(10), f"recall@{k}": recall(k),
            "mean_returned": round(statistics.fmean(len(g) for g in got), 1),
            "queries_short_of_k": sum(len(g) < min(k, len(e)) for g, e in zip(got, exact, strict=True))}


def timed(search: Callable[[np.ndarray, str | None], np.ndarray], queries: QuerySet, filtered: bool,
          warm: int = 20) -> tuple[list[float], list[np.ndarray]]:
    for q, c in list(zip(queries.vectors, queries.counties, strict=True))[:warm]:
        search(q, c if filtered else None)
    latencies, got = [], []
    for q, c in zip(queries.vectors, queries.counties, strict=True):
        began = time.perf_counter()
        ids = search(q, c if filtered else None)
        latencies.append(time.perf_counter() - began)
        got.append(ids)
    return latencies, got


def memory_mb(pid: int) -> dict[str, float]:
    """A process's resident memory (MB): private, file-backed, proportional share."""
    status = Path(f"/proc/{pid}/status").read_text()
    rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()

    def field(text: str, name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + ":"):
                return round(int(line.split()[1]) / 1024, 1)
        return 0.0

    return {"anon_mb": field(status, "RssAnon"), "file_mb": field(status, "RssFile"),
            "shmem_mb": field(status, "RssShmem"), "pss_mb": field(rollup, "Pss")}


# -- (b) FAISS ------------------------------------------------------------------------------------


def bench_faiss(corpus: Corpus, queries: QuerySet, k: int, exact: dict[bool, list[np.ndarray]],
                build: bool = True) -> dict[str, Any]:
    settings = Settings()
    meta = corpus.meta
    build_seconds = None
    build_threads = os.cpu_count() or 1
    if build:
        # Both builds on every core: pgvector's leader and its parallel worker, FAISS's OpenMP threads.
        faiss.omp_set_num_threads(build_threads)
        began = time.perf_counter()
        fresh = faiss.IndexHNSWFlat(corpus.vectors.shape[1], meta["hnsw_m"], faiss.METRIC_INNER_PRODUCT)
        fresh.hnsw.efConstruction = meta["ef_construction"]
        fresh.add(corpus.vectors)
        build_seconds = round(time.perf_counter() - began, 1)
        print(f"faiss: HNSW built in {build_seconds} s", file=sys.stderr)
        del fresh

    apply_process_settings(settings, "query")
    before = memory_mb(os.getpid())
    began = time.perf_counter()
    warm_page_cache([corpus.generation / "vectors.faiss"])
    index = FaissIndex.load(corpus.generation, mapped=True)
    load_seconds = round(time.perf_counter() - began, 2)
    # The service's filter: a read-only array of the county's ids (its selector is then cached).
    allowed: dict[str, np.ndarray] = {}
    for county in set(queries.counties):
        ids = corpus.ids[[i for i, cs in enumerate(corpus.counties) if county in cs]].copy()
        ids.setflags(write=False)
        allowed[county] = ids

    def search(q: np.ndarray, county: str | None) -> np.ndarray:
        return index.search(q, k, allowed=allowed[county] if county else None).ids

    out: dict[str, Any] = {"build_seconds": build_seconds, "build_threads": build_threads,
                           "load_seconds": load_seconds,
                           "disk_mb": round((corpus.generation / "vectors.faiss").stat().st_size / 2**20, 1),
                           "ef_search": index.ef_search, "query_threads": faiss.omp_get_max_threads()}
    for filtered in (False, True):
        latencies, got = timed(search, queries, filtered)
        out["county" if filtered else "unfiltered"] = summarise(latencies, got, exact[filtered], k)
    after = memory_mb(os.getpid())
    out["memory"] = {key: round(after[key] - before[key], 1) for key in after}
    out["memory"]["note"] = "growth of this process: the mapped generation (file) and its id map (anon)"
    return out


# -- (a) pgvector ---------------------------------------------------------------------------------


@contextmanager
def postgres(url: str | None) -> Iterator[tuple[str, Any]]:
    """A database URL and the server handle (None for ``--url``); a pgserver stopped afterwards."""
    if url:
        yield url, None
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver
        import psycopg

        directory = tempfile.mkdtemp(prefix="regionsok-pgvec-")
        handle = pgserver.get_server(directory, cleanup_mode=None)
    try:
        with psycopg.connect(handle.get_uri("postgres"), autocommit=True) as conn:
            # A replica's database keeps its hot index in shared buffers; builds get the memory
            # the graph needs (else pgvector builds on disk, far slower); two cores: one helper.
            for name, value in (("shared_buffers", "2GB"), ("maintenance_work_mem", "2GB"),
                                ("max_parallel_maintenance_workers", "1")):
                conn.execute(f"ALTER SYSTEM SET {name} = '{value}'")
        pgserver.pg_ctl(["-w", "-m", "fast", "restart"], pgdata=handle.pgdata, user=handle.system_user)
        with psycopg.connect(handle.get_uri("postgres"), autocommit=True) as conn:
            conn.execute("CREATE DATABASE vectors")
        yield handle.get_uri("vectors"), handle
    finally:
        pgserver.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=handle.pgdata, user=handle.system_user)
        shutil.rmtree(directory, ignore_errors=True)


def copy_rows(corpus: Corpus) -> Iterator[bytes]:
    """The table's rows in COPY BINARY format: (vec_id int8, counties text[], embedding vector)."""
    yield b"PGCOPY\n\xff\r\n\x00" + struct.pack("!ii", 0, 0)
    dim = corpus.vectors.shape[1]
    big_endian = corpus.vectors.astype(">f4")
    vector_head = struct.pack("!ihh", 4 + 4 * dim, dim, 0)
    batch: list[bytes] = []
    for row, (vec_id, counties) in enumerate(zip(corpus.ids.tolist(), corpus.counties, strict=True)):
        # text[]: ndim, has-nulls, element type (25 = text), then length and lower bound of the
        # one dimension, then each element; an empty array has ndim 0.
        if counties:
            elements = b"".join(struct.pack("!i", len(c)) + c.encode() for c in counties)
            array = struct.pack("!iiiii", 1, 0, 25, len(counties), 1) + elements
        else:
            array = struct.pack("!iii", 0, 0, 25)
        batch.append(struct.pack("!hiq", 3, 8, vec_id) + struct.pack("!i", len(array)) + array
                     + vector_head + big_endian[row].tobytes())
        if len(batch) == 2000:
            yield b"".join(batch)
            batch = []
    yield b"".join(batch) + struct.pack("!h", -1)


def server_memory(conn: Any) -> dict[str, float]:
    """The PostgreSQL server's processes together (MB): shared buffers count once in PSS."""
    backend = int(conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    parent = int(Path(f"/proc/{backend}/stat").read_text().split()[3])  # the postmaster
    pids = [parent] + [int(p) for p in Path(f"/proc/{parent}/task/{parent}/children").read_text().split()]
    total: dict[str, float] = {"anon_mb": 0.0, "file_mb": 0.0, "shmem_mb": 0.0, "pss_mb": 0.0}
    for pid in pids:
        try:
            for key, value in memory_mb(pid).items():
                total[key] = round(total[key] + value, 1)
        except OSError:
            continue
    total["processes"] = len(pids)
    return total


def build_table(conn: Any, corpus: Corpus, out: dict[str, Any]) -> None:
    """The vectors table (binary COPY), its HNSW index (timed) and a GIN index on the counties."""
    meta = corpus.meta
    conn.execute(f"DROP TABLE IF EXISTS {TABLE}")
    conn.execute(f"CREATE TABLE {TABLE} (vec_id bigint PRIMARY KEY, counties text[] NOT NULL, "
                 f"embedding vector({corpus.vectors.shape[1]}) NOT NULL)")
    began = time.perf_counter()
    with conn.cursor().copy(f"COPY {TABLE} (vec_id, counties, embedding) FROM STDIN (FORMAT BINARY)") as copy:
        for block in copy_rows(corpus):
            copy.write(block)
    out["load_seconds"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    conn.execute(f"CREATE INDEX {TABLE}_hnsw ON {TABLE} USING hnsw (embedding vector_ip_ops) "
                 f"WITH (m = {meta['hnsw_m']}, ef_construction = {meta['ef_construction']})")
    out["build_seconds"] = round(time.perf_counter() - began, 1)
    began = time.perf_counter()
    conn.execute(f"CREATE INDEX {TABLE}_counties ON {TABLE} USING gin (counties)")
    out["gin_build_seconds"] = round(time.perf_counter() - began, 1)
    conn.execute(f"VACUUM ANALYZE {TABLE}")
    print(f"pgvector: loaded in {out['load_seconds']} s, HNSW built in {out['build_seconds']} s", file=sys.stderr)


def bench_pgvector(url: str, corpus: Corpus, queries: QuerySet, k: int,
                   exact: dict[bool, list[np.ndarray]], reuse: bool = False) -> dict[str, Any]:
    import psycopg

    meta = corpus.meta
    out: dict[str, Any] = {}
    with psycopg.connect(url, autocommit=True) as conn:
        out["server"] = conn.execute("SELECT version()").fetchone()[0].split(" on ")[0]
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        out["pgvector"] = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()[0]
        out["settings"] = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in (
            "shared_buffers", "maintenance_work_mem", "max_parallel_maintenance_workers", "fsync")}
        have = conn.execute(f"SELECT to_regclass('{TABLE}_counties') IS NOT NULL").fetchone()[0]
        if reuse and have and conn.execute(f"SELECT count(*) FROM {TABLE}").fetchone()[0] == len(corpus.ids):
            out["reused"] = True
        else:
            build_table(conn, corpus, out)
        sizes = conn.execute(
            f"SELECT pg_relation_size('{TABLE}_hnsw'), pg_table_size('{TABLE}'), "
            f"pg_relation_size('{TABLE}_counties'), pg_total_relation_size('{TABLE}')").fetchone()
        out["disk_mb"] = {"hnsw_index": round(sizes[0] / 2**20, 1), "table": round(sizes[1] / 2**20, 1),
                          "gin_index": round(sizes[2] / 2**20, 1), "total": round(sizes[3] / 2**20, 1)}
        memory_before = server_memory(conn)

    # A replica's connection: a separate session, as `regionsok serve` would hold one per thread.
    with psycopg.connect(url, autocommit=True) as conn:
        literal = [("[" + ",".join(f"{x:.7g}" for x in q) + "]") for q in queries.vectors]
        by_vector = {q.tobytes(): text for q, text in zip(queries.vectors, literal, strict=True)}
        plans: dict[str, str] = {}

        def runner(name: str, setup: list[str], filtered: bool) -> Callable[[np.ndarray, str | None], np.ndarray]:
            for statement in ("RESET ALL", *setup):
                conn.execute(statement)
            unfiltered_sql = f"SELECT vec_id FROM {TABLE} ORDER BY embedding <#> %s::vector LIMIT %s"
            filtered_sql = (f"SELECT vec_id FROM {TABLE} WHERE counties @> ARRAY[%s]::text[] "
                            "ORDER BY embedding <#> %s::vector LIMIT %s")

            def search(q: np.ndarray, county: str | None) -> np.ndarray:
                if county is None:
                    rows = conn.execute(unfiltered_sql, (by_vector[q.tobytes()], k), prepare=True).fetchall()
                else:
                    rows = conn.execute(filtered_sql, (county, by_vector[q.tobytes()], k), prepare=True).fetchall()
                return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))

            q0, c0 = queries.vectors[0], queries.counties[0]
            params = (c0, by_vector[q0.tobytes()], k) if filtered else (by_vector[q0.tobytes()], k)
            plan = conn.execute("EXPLAIN (COSTS OFF) " + (filtered_sql if filtered else unfiltered_sql), params).fetchall()
            plans[name] = " / ".join(re.sub(r"'\[[^\]]*\]'", "q", r[0].strip()) for r in plan[:4])
            return search

        ef = meta["ef_search"]
        # Every query planned with its own values (psycopg prepares a statement after five runs;
        # PostgreSQL may then switch to a generic plan, which for the filtered query is the GIN
        # index and an exact sort: the "exact" variant below, chosen explicitly here).
        custom = ["SET plan_cache_mode = force_custom_plan"]
        variants: list[tuple[str, list[str], bool]] = [
            ("unfiltered", [f"SET hnsw.ef_search = {ef}", *custom], False),
            (f"unfiltered_ef{PG_MAX_EF_SEARCH}", [f"SET hnsw.ef_search = {PG_MAX_EF_SEARCH}", *custom], False),
            # The planner's own choice for a county: the HNSW walk, then the WHERE on its results.
            ("county_hnsw", [f"SET hnsw.ef_search = {ef}", *custom], True),
            (f"county_hnsw_ef{PG_MAX_EF_SEARCH}", [f"SET hnsw.ef_search = {PG_MAX_EF_SEARCH}", *custom], True),
            # No index scan: the county's rows from the GIN index (a bitmap scan), scored exactly.
            ("county_exact_gin", ["SET enable_indexscan = off", *custom], True),
        ]
        out["ef_search"] = ef
        for name, setup, filtered in variants:
            search = runner(name, setup, filtered)
            latencies, got = timed(search, queries, filtered)
            out[name] = summarise(latencies, got, exact[filtered], k)
        out["plans"] = plans
        out["memory"] = server_memory(conn)
        out["memory_before_queries"] = memory_before
        out["memory"]["note"] = "all server processes once warm (shared buffers hold the table and index)"
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=DEFAULT_DATA_DIR,
                        help="a data dir with a published generation (read only)")
    parser.add_argument("--url", help="a PostgreSQL database with pgvector (default: a throw-away pgserver)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--k", type=int, default=200, help="candidates asked (the service's depth for a page of 10)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--reuse", action="store_true",
                        help="with --url: keep the table and indexes an earlier run built (no build figures)")
    parser.add_argument("--skip-faiss-build", action="store_true", help="do not time a fresh FAISS build")
    parser.add_argument("--limit", type=int,
                        help="only the first N vectors in pgvector and the exact scan (a quick trial of the script)")
    args = parser.parse_args()

    load = [os.getloadavg()[0]]
    corpus = load_corpus(args.data_dir)
    if args.limit:
        corpus = Corpus(corpus.generation, corpus.ids[: args.limit], corpus.vectors[: args.limit],
                        corpus.counties[: args.limit], corpus.meta)
    queries = make_queries(corpus, args.queries)
    exact = {filtered: exact_top(corpus, queries, args.k, filtered) for filtered in (False, True)}
    county_sizes = [sum(c in cs for cs in corpus.counties) for c in sorted(set(queries.counties))]
    result: dict[str, Any] = {
        "bench": "pgvector_vs_faiss", "data_dir": str(args.data_dir), "generation": corpus.generation.name,
        "vectors": int(len(corpus.ids)), "dim": int(corpus.vectors.shape[1]), "raw_vectors_mb":
        round(corpus.vectors.nbytes / 2**20, 1), "queries": args.queries, "k": args.k,
        "hnsw": {key: corpus.meta[key] for key in ("hnsw_m", "ef_construction", "ef_search")},
        "county_filter_rows": {"min": min(county_sizes), "median": int(statistics.median(county_sizes)),
                               "max": max(county_sizes)},
        "cpu_count": os.cpu_count(),
    }
    result["faiss"] = bench_faiss(corpus, queries, args.k, exact, build=not args.skip_faiss_build)
    load.append(os.getloadavg()[0])
    with postgres(args.url) as (url, _handle):
        result["pgvector"] = bench_pgvector(url, corpus, queries, args.k, exact, reuse=args.reuse)
    load.append(os.getloadavg()[0])
    result["load_average_1m"] = [round(x, 2) for x in load]
    text = json.dumps(result)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
