"""Filtered vector search at scale: recall and time of HNSW under a filter, by beam width.

A filter (a county: a twentieth of the chunks) hides most of the HNSW graph. FAISS keeps
walking until its beam of ``efSearch`` *allowed* results is full, so the effort already
grows as the filter narrows; this bench measures how much wider the beam must be for a
filtered search to find what an unfiltered one finds. Queries are embedded with the load
bench's hashed stand-in embedder (bench/api_load.py), the space its synthetic vectors live
in; real embeddings are more clustered and easier, so the recall figures are pessimistic.

Prints JSON: per filter share and efSearch, recall@10 / @200 against the exact answer and
the median and max time of one search (at least ``exact_max`` allowed ids: below that the
service scores the allowed vectors exactly).

Run: .venv/bin/python bench/filtered_vectors.py --data-dir DIR [--shares 0.048,0.2] [--ef 256,1024,4096]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

import faiss  # noqa: E402
from api_load import HashedEmbedder, _vocabulary  # noqa: E402

from search.indexer import current_generation, load_generation  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, required=True, help="a data dir bench/api_load.py built (HNSW)")
    parser.add_argument("--shares", default="1.0,0.048,0.2", help="shares of chunks a filter admits (1.0: none)")
    parser.add_argument("--ef", default="256,512,1024,2048,4096", help="efSearch values to try")
    parser.add_argument("--queries", type=int, default=12)
    parser.add_argument("--k", type=int, default=200, help="results asked (the service asks 200)")
    args = parser.parse_args()
    generation = current_generation(args.data_dir / "index")
    if generation is None:
        raise SystemExit(f"no index in {args.data_dir}")
    index = load_generation(generation, mapped=True)
    if index.kind != "hnsw":
        raise SystemExit("the index is exact (flat): nothing to measure")
    storage = index._storage()
    id_map, _, _ = index._ids_sorted()
    words, weights = _vocabulary()
    rng = np.random.default_rng(3)
    p = np.array(weights) / sum(weights)
    texts = [" ".join(rng.choice(words, size=int(rng.integers(1, 4)), p=p)) for _ in range(args.queries)]
    queries = HashedEmbedder("bench", index.dim).encode_documents(texts)
    exact_scores = np.asarray(storage @ queries.T)  # (vectors, queries)
    rows = []
    for share in (float(s) for s in args.shares.split(",")):
        allowed_internal = (np.sort(rng.choice(id_map.size, int(id_map.size * share), replace=False))
                            if share < 1 else None)
        selector = faiss.IDSelectorBatch(id_map[allowed_internal]) if allowed_internal is not None else None
        truth = []
        for j in range(len(queries)):
            scores = exact_scores[:, j] if allowed_internal is None else exact_scores[allowed_internal, j]
            best = np.argsort(-scores)[:args.k]
            truth.append(id_map[best] if allowed_internal is None else id_map[allowed_internal[best]])
        for ef in (int(e) for e in args.ef.split(",")):
            params = faiss.SearchParametersHNSW()
            params.efSearch = max(ef, args.k)
            if selector is not None:
                params.sel = selector
            times, r10, rk = [], [], []
            for q, expected in zip(queries, truth, strict=True):
                started = time.perf_counter()
                _, found = index._index.search(q.reshape(1, -1), args.k, params=params)
                times.append(time.perf_counter() - started)
                got = found[0][found[0] >= 0]
                r10.append(len(set(got[:10].tolist()) & set(expected[:10].tolist())) / 10)
                rk.append(len(set(got.tolist()) & set(expected.tolist())) / args.k)
            rows.append({"share": share, "ef": ef, "recall_at_10": round(float(np.mean(r10)), 3),
                         f"recall_at_{args.k}": round(float(np.mean(rk)), 3),
                         "p50_ms": round(float(np.median(times)) * 1000, 1), "max_ms": round(max(times) * 1000, 1)})
            print(json.dumps(rows[-1]), file=sys.stderr)
    print(json.dumps({"bench": "filtered_vectors", "vectors": len(index), "queries": len(queries),
                      "load": round(os.getloadavg()[0], 2), "rows": rows}))


if __name__ == "__main__":
    main()
