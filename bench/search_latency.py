"""Vector search latency at 10k / 100k / 1M chunks: exact vs approximate, recall@10, memory.

Prints one JSON object. For each size, synthetic 384-d unit vectors are indexed twice:

- ``exact``: the product's flat inner-product index (``search.vector.FaissIndex``, kind flat);
- ``approx``: the product's HNSW index (``FaissIndex`` kind hnsw, M=32), or with ``--approx
  ivf`` an IVF-flat index (nlist ≈ 4·√n), which trains and builds far faster than HNSW on
  two cores (the reason to offer it at 1M); each measured at several efSearch / nprobe
  values (``--sweep``), since recall and latency trade against each other.

Per query it times the search alone and adds the measured query-embedding time of the
real model (``REGIONSOK_EMBEDDING_BACKEND`` or ``--backend``), giving p50/p95 of the
whole query path; recall@10 is the approximate top-10's overlap with the exact top-10.

Why not uniform random vectors: real embeddings are clustered and anisotropic (e5 cosines
between unrelated passages are ~0.7), and ANN indexes behave very differently on uniform
noise. The vectors are a Gaussian mixture (10,000 topics) around a shared mean direction;
queries are fresh draws from the same mixture.

Run: .venv/bin/python bench/search_latency.py [--sizes 10000,100000] [--queries 200]
     .venv/bin/python bench/search_latency.py --sizes 1000000 --approx ivf
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import faiss  # noqa: E402

from regionsok.settings import Settings  # noqa: E402
from search.runtime import apply_process_settings  # noqa: E402
from search.vector import FaissIndex  # noqa: E402  (the FAISS backend itself is measured: its kinds, its internals)

DIM = 384
TOPICS = 10_000
QUERIES_FOR_EMBEDDING = [
    "gambling addiction", "spelberoende", "primary care funding", "självmordsförebyggande",
    "överenskommelse om våld i nära relationer", "mental health of children and young people",
    "samordnad individuell plan", "home care for the elderly", "utveckling av beroendevården",
    "patient survey about psychiatric care",
]


def index_mb(index: faiss.Index) -> float:
    """Size of a FAISS index as serialised, MB: its vectors, graph links or lists, and id map."""
    return round(faiss.serialize_index(index).nbytes / 2**20, 1)


def mixture(n: int, rng: np.random.Generator, centres: np.ndarray) -> np.ndarray:
    """``n`` unit vectors drawn around random topic centres (built in blocks to bound memory)."""
    out = np.empty((n, DIM), dtype=np.float32)
    for start in range(0, n, 100_000):
        m = min(100_000, n - start)
        topics = rng.integers(0, centres.shape[0], m)
        block = centres[topics] + rng.standard_normal((m, DIM), dtype=np.float32) * 0.045
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def topic_centres(rng: np.random.Generator) -> np.ndarray:
    mean = rng.standard_normal(DIM).astype(np.float32)
    mean /= np.linalg.norm(mean)
    centres = mean + rng.standard_normal((TOPICS, DIM)).astype(np.float32) * 0.045
    return (centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(np.float32)


def percentiles(ms: list[float]) -> dict[str, float]:
    return {"p50_ms": round(float(np.percentile(ms, 50)), 3), "p95_ms": round(float(np.percentile(ms, 95)), 3)}


def query_embedding_ms(backend: str, model_dir: Path, rounds: int) -> list[float]:
    """Latency of embedding one query at a time with the real model."""
    from search.embedding import load_embedder

    settings = Settings(embedding_model=str(model_dir), embedding_backend=backend)
    apply_process_settings(settings, "query")  # one query at a time, as in the server
    embedder = load_embedder(settings)
    embedder.encode_query(["warm-up"])
    times = []
    for i in range(rounds):
        query = QUERIES_FOR_EMBEDDING[i % len(QUERIES_FOR_EMBEDDING)]
        start = time.perf_counter()
        embedder.encode_query([query])
        times.append((time.perf_counter() - start) * 1000)
    return times


class IvfIndex:
    """IVF-flat over inner product, for the build-time comparison at 1M."""

    def __init__(self, vectors: np.ndarray, nprobe: int) -> None:
        n = vectors.shape[0]
        self.nlist = int(4 * np.sqrt(n))
        quantizer = faiss.IndexFlatIP(DIM)
        self.index = faiss.IndexIVFFlat(quantizer, DIM, self.nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(1).choice(n, min(n, 32 * self.nlist), replace=False)]
        self.index.train(sample)
        self.index.add(vectors)
        self.index.nprobe = nprobe

    def search(self, query: np.ndarray, k: int) -> np.ndarray:
        _, ids = self.index.search(query.reshape(1, DIM), k)
        return ids[0]


def bench_size(n: int, args: argparse.Namespace, embed_ms: list[float]) -> dict[str, object]:
    """Builds use every core; queries run on ``--threads`` FAISS threads, as the service does."""
    threads = Settings(query_threads=args.threads)
    rng = np.random.default_rng(n)
    centres = topic_centres(rng)
    vectors = mixture(n, rng, centres)
    queries = mixture(args.queries, rng, centres)
    ids = np.arange(n, dtype=np.int64)
    out: dict[str, object] = {"vectors": n}

    apply_process_settings(threads, "build")
    start = time.perf_counter()
    exact = FaissIndex(DIM, exact_max=n + 1, kind="flat")
    exact.add(ids, vectors)
    out["exact_build_s"] = round(time.perf_counter() - start, 2)
    out["exact_memory_mb"] = index_mb(exact._index)
    apply_process_settings(threads, "query")
    truth, exact_ms = [], []
    for q in queries:
        t = time.perf_counter()
        truth.append(exact.search(q, 10).ids)
        exact_ms.append((time.perf_counter() - t) * 1000)
    out["exact"] = percentiles(exact_ms)
    del exact

    apply_process_settings(threads, "build")
    start = time.perf_counter()
    approx_index: faiss.Index
    if args.approx == "ivf":
        ivf = IvfIndex(vectors, args.sweep[0])
        approx_index = ivf.index
        out["approx_kind"] = f"ivf-flat nlist={ivf.nlist}"

        def search(q: np.ndarray, knob: int) -> np.ndarray:
            ivf.index.nprobe = knob
            return ivf.search(q, 10)
    else:
        hnsw = FaissIndex(DIM, exact_max=0, kind="hnsw")
        hnsw.add(ids, vectors)
        approx_index = hnsw._index
        out["approx_kind"] = f"hnsw M={hnsw.hnsw_m} efConstruction={hnsw.ef_construction}"

        def search(q: np.ndarray, knob: int) -> np.ndarray:
            hnsw.ef_search = knob
            return hnsw.search(q, 10).ids
    out["approx_build_s"] = round(time.perf_counter() - start, 2)
    out["approx_memory_mb"] = index_mb(approx_index)
    del vectors
    apply_process_settings(threads, "query")
    # The whole query path: one query embedding (sampled from measured times) plus the search.
    draws = np.random.default_rng(0).choice(embed_ms, len(exact_ms))
    out["exact_with_embedding"] = percentiles(list(np.array(exact_ms) + draws))
    knob_name = "nprobe" if args.approx == "ivf" else "efSearch"
    sweep = []
    for knob in args.sweep:
        approx_ms, recalls = [], []
        for q, true_ids in zip(queries, truth, strict=True):
            t = time.perf_counter()
            found = search(q, knob)
            approx_ms.append((time.perf_counter() - t) * 1000)
            recalls.append(len(set(found.tolist()) & set(true_ids.tolist())) / 10)
        sweep.append({knob_name: knob, **percentiles(approx_ms), "recall@10": round(float(np.mean(recalls)), 4),
                      "with_embedding": percentiles(list(np.array(approx_ms) + draws))})
    out["approx"] = sweep
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="Comma-separated index sizes (e.g. 1000000).")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--approx", choices=("hnsw", "ivf"), default="hnsw")
    parser.add_argument("--sweep", default=None,
                        help="Comma-separated efSearch (hnsw, default 96,256,512) or nprobe (ivf, default "
                        "16,64,256) values to measure.")
    parser.add_argument("--threads", type=int, default=1,
                        help="FAISS threads per query (1, as SearchService runs; builds use all cores).")
    parser.add_argument("--backend", default=os.environ.get("REGIONSOK_EMBEDDING_BACKEND", "torch"))
    parser.add_argument("--model-dir", type=Path, default=Settings().model_dir)
    args = parser.parse_args()
    default_sweep = "16,64,256" if args.approx == "ivf" else "96,256,512"
    args.sweep = [int(v) for v in (args.sweep or default_sweep).split(",")]

    embed_ms = query_embedding_ms(args.backend, args.model_dir, 50)
    result: dict[str, object] = {
        "bench": "search_latency",
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "faiss_query_threads": args.threads,
        "dim": DIM,
        "queries": args.queries,
        "query_embedding": {"backend": args.backend, **percentiles(embed_ms)},
        "sizes": [bench_size(int(n), args, embed_ms) for n in args.sizes.split(",")],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
