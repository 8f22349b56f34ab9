"""API load: requests/s and p50/p95 latency of `/search` at 8 concurrent clients, as JSON.

What it measures: a real `regionsok serve` process (uvicorn, `--workers` processes) on 127.0.0.1,
over the demo corpus (the committed fixtures, ingested, extracted and indexed with the real
model) plus synthetic documents bringing the index to at least 100k chunks. Clients are
threads with their own HTTP connection, each sending the next query as soon as the last
one answered (closed loop), for a fixed duration after a warm-up.

Why synthetic vectors: embedding 100k real chunks takes hours on a laptop CPU. The
synthetic documents are chunked, keyword-indexed and stored exactly like real ones; only
their vectors come from a cheap deterministic stand-in (a hashed bag of words projected
to the model's dimension and normalised), added through the real indexer, so the FAISS
index (HNSW above `exact_index_max`), keyword index and store have the size a 100k-chunk
deployment has. Queries are still embedded by the real model on every request.

``--fresh`` makes every request a query never seen before (a taxonomy concept's label with a
random word from the corpus): nothing is cached, neither the query vector nor anything a
concept's ranking could keep; ``max_over_p50`` then says what the slowest query paid.

Memory: each server process's resident set split into private (``anon``: what it allocated)
and file-backed pages (``file``: the memory-mapped vectors and keyword postings, shared by
every worker through the page cache) and its proportional share (``pss``), beside the size
of the raw vectors (chunks × dimension × 4 bytes).

``--repeat 2`` runs the load against two separately started servers; with ``--fresh`` each
sees every query for the first time. ``own_cost`` is then each request's faster answer: what the
query itself costs uncached, without the interruptions the machine adds to one run or the other
(the raw figures, the last run's, keep them).

``first_searches_ms``: the first searches the just-started server answers, one at a time,
before the load begins (a server that loads something on first use shows it here).

``--quality`` also scores the dev set (bench/eval_search.py's figures: nDCG@10 per language,
result-set precision) with the same code, so each latency figure has its quality beside it.

Usage:
    python bench/api_load.py [--data-dir DIR] [--chunks 100000] [--clients 8] [--seconds 30]
                             [--backend torch|onnx-int8|openvino-int8] [--workers 1] [--fresh] [--repeat 1]
                             [--quality]

The data directory (default: a fresh temporary one) is reused when it already holds at
least ``--chunks`` chunks, so a second run only measures. With ``REGIONSOK_STORE_URL`` set the
store is that PostgreSQL database (the index files stay in the data directory) and the server
reads it too; the database is reused the same way.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regionsok.records import COUNTY_CODES, DOCUMENT_KINDS, Document, Extraction, Person  # noqa: E402
from regionsok.settings import Settings  # noqa: E402
from search.embedding import BACKENDS  # noqa: E402
from search.runtime import apply_process_settings  # noqa: E402
from search.timings import parse_prometheus  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
QUERIES = (
    "spelberoende",
    "gambling addiction",
    "psykisk hälsa barn och unga",
    "överenskommelse missbruk kommuner",
    "suicide prevention",
    "primärvård vårdcentral",
    "kollektivtrafik buss",
    "våld i nära relationer",
    "mental health young people",
    "Torbjörn Holmqvist",
)
COUNTIES = COUNTY_CODES
FOCUS = ("substance_abuse", "mental_health", "gambling", "primary_care", "suicide_prevention",
         "domestic_violence", "comorbidity", "family_support")
KINDS = DOCUMENT_KINDS


class HashedEmbedder:
    """Deterministic stand-in vectors: hashed bag of words, random-projected, unit length.

    Same ``name`` and ``dim`` as the real model, so the server treats the index as its own.
    """

    def __init__(self, name: str, dim: int) -> None:
        self.name = name
        self.dim = dim
        self._cache: dict[str, np.ndarray] = {}

    def _word(self, word: str) -> np.ndarray:
        vector = self._cache.get(word)
        if vector is None:
            seed = int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "little")
            vector = np.random.default_rng(seed).standard_normal(self.dim).astype(np.float32)
            self._cache[word] = vector
        return vector

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split()[:200]:
                out[i] += self._word(word)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-6)
        return out


def _vocabulary() -> tuple[list[str], list[float]]:
    """Swedish words from the committed seed texts with Zipf weights (1/rank by frequency).

    Natural text is Zipfian: function words are everywhere, topical words ("spelberoende")
    are rare. Drawing words uniformly would put every query term in a third of all chunks
    and make keyword search unrealistically slow.
    """
    counts: dict[str, int] = {}
    for path in sorted((FIXTURES / "seeds").glob("*.txt")):
        for raw in path.read_text(encoding="utf-8").split():
            word = raw.strip(".,;:()–-\"”")
            if len(word) > 2 and word.isalpha():
                counts[word] = counts.get(word, 0) + 1
    words = sorted(counts, key=lambda w: (-counts[w], w))
    return words, [1.0 / rank for rank in range(1, len(words) + 1)]


def store_target(settings: Settings) -> Path | str:
    """The store this bench builds and its server reads: the PostgreSQL URL when one is set."""
    return settings.store_url or settings.db_path


def build_demo(settings: Settings) -> None:
    """The demo corpus through the real stages: ingest, NLP extraction, index with the real model."""
    from ingest.nlp import update_extractions
    from ingest.pipeline import ingest_jsonl, ingest_paths
    from regionsok.store import open_store
    from search.indexer import update_index

    with open_store(store_target(settings)) as store:
        ingest_paths(store, [FIXTURES / "html", FIXTURES / "pdf"])
        for jsonl in sorted((FIXTURES / "api").glob("*.jsonl")):
            ingest_jsonl(store, jsonl)
        update_extractions(store)
        update_index(store, settings)


def add_synthetic(settings: Settings, chunks_wanted: int, seed: int = 7) -> int:
    """Synthetic documents (with facets) until the store holds ``chunks_wanted`` chunks."""
    from ingest.nlp import PIPELINE_VERSION
    from regionsok.store import open_store
    from search.embedding import load_embedder
    from search.indexer import update_index

    rng = random.Random(seed)
    began = time.monotonic()
    vocab, weights = _vocabulary()
    real = load_embedder(settings)
    fake = HashedEmbedder(real.name, real.dim)
    with open_store(store_target(settings)) as store:
        have = store.chunk_count()
        # ~256 tokens a chunk and 3 chunks a document: about 600 words each.
        documents = max(0, (chunks_wanted - have) // 3 + 50)
        start = date(2015, 1, 1)
        batch = 2000
        for first in range(0, documents, batch):
            with store.transaction():
                for n in range(first, min(documents, first + batch)):
                    county = rng.choice(COUNTIES)
                    focus = rng.sample(FOCUS, 2)
                    text = "\n\n".join(
                        " ".join(rng.choices(vocab, weights=weights, k=60)).capitalize() + "." for _ in range(10)
                    )
                    doc = Document(
                        doc_id=f"syn{n:07d}",
                        url=f"https://example.invalid/synthetic/{n}",
                        title=f"Syntetiskt pressmeddelande {n} om {focus[0].replace('_', ' ')}",
                        text=text,
                        language="sv",
                        kind=rng.choice(KINDS),
                        published=start + timedelta(days=rng.randrange(3650)),
                        source="synthetic",
                        county_code=county,
                    )
                    _, doc_id = store.upsert_document(doc)
                    store.save_extraction(doc_id, doc.sha256, Extraction(
                        kind=doc.kind, counties=(county,), focus_areas=tuple(focus),
                        people=(Person(name=f"Person {n % 997}", party=rng.choice(("S", "M", "C", None))),),
                        # The current pipeline's, or indexing would first run the real NLP over
                        # every synthetic document (an hour at a million chunks).
                        pipeline_version=PIPELINE_VERSION,
                    ))
            print(f"synthetic documents: {min(documents, first + batch)}/{documents} "
                  f"({time.monotonic() - began:.0f} s)", file=sys.stderr)
        indexed = time.monotonic()
        report = update_index(store, settings, embedder=fake)
        print(f"index ({time.monotonic() - indexed:.0f} s): {json.dumps(report.to_json())}", file=sys.stderr)
        return store.chunk_count()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], workers: int, timeout: float = 300) -> dict[str, Any]:
    """The server's ``/health`` once each of its ``workers`` processes has answered ready (on a
    new connection each time, so any of them may accept it). A worker still loading accepts no
    connection, so clients that connect before it is up would all stay with the others."""
    import httpx

    seen: set[int] = set()
    health: dict[str, Any] = {}
    deadline = time.monotonic() + timeout
    while len(seen) < workers:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with {proc.returncode}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(seen)} of {workers} server workers became ready")
        try:
            answer = httpx.get(f"{base}/health", timeout=5)
            if answer.status_code == 200 and answer.json().get("status") == "ok":
                health = dict(answer.json())
                seen.add(int(health["worker_pid"]))
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    return health


def _stage_counts(base: str) -> dict[str, dict[str, float]]:
    """The service's own per-stage timings so far (``/metrics``; one worker's when there are several)."""
    import httpx

    return parse_prometheus(httpx.get(f"{base}/metrics", timeout=60).text)


def _stage_means(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> dict[str, float]:
    """Mean milliseconds per search of each stage between two snapshots (warm-up included)."""
    out = {}
    for stage, now in after.items():
        count = now.get("count", 0) - before.get(stage, {}).get("count", 0)
        seconds = now.get("seconds", 0) - before.get(stage, {}).get("seconds", 0)
        if count:
            out[stage] = round(1000 * seconds / count, 2)
    return out


def fresh_queries(seed: int) -> Any:
    """An endless stream of queries never asked before: a concept's label and a corpus word."""
    from ingest.nlp.taxonomy import load_taxonomy

    concepts = load_taxonomy().concepts.values()
    labels = [c.label_sv for c in concepts] + [c.label_en for c in concepts if c.label_en]
    vocab, _ = _vocabulary()
    rng = random.Random(seed)
    seen: set[str] = set()
    while True:
        query = f"{rng.choice(labels)} {rng.choice(vocab).lower()}"
        if query not in seen:
            seen.add(query)
            yield query


def server_memory(pid: int) -> list[dict[str, Any]]:
    """Resident memory (MB) of the server process and its workers: private, file-backed, PSS."""
    pids = [pid]
    try:
        pids += [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        pass
    out = []
    for p in pids:
        try:
            status = Path(f"/proc/{p}/status").read_text()
            rollup = Path(f"/proc/{p}/smaps_rollup").read_text()
        except OSError:
            continue

        def field(text: str, name: str) -> float:
            for line in text.splitlines():
                if line.startswith(name + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
            return 0.0

        out.append({"pid": p, "anon_mb": field(status, "RssAnon"), "file_mb": field(status, "RssFile"),
                    "pss_mb": field(rollup, "Pss")})
    return out


def first_searches(base: str) -> list[float]:
    """Milliseconds of the first searches a just-started server answers, one at a time (every
    query of the mix once): what a user pays who asks right after a restart, before any warm-up."""
    import httpx

    took: list[float] = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for query in QUERIES:
            began = time.monotonic()
            http.get("/search", params={"q": query, "k": 10}).raise_for_status()
            took.append(round((time.monotonic() - began) * 1000, 1))
    return took


def run_load(base: str, clients: int, seconds: float, warmup: float, fresh: bool = False,
             by_request: dict[tuple[int, int], float] | None = None) -> dict[str, Any]:
    """Closed-loop load with ``clients`` threads; latencies of requests after the warm-up.

    ``by_request`` receives each measured request's seconds under (client, its number in that
    client's stream): client ``i`` always asks the same sequence, so two runs can be compared
    request by request."""
    import httpx

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    begin = time.monotonic()
    measure_from = begin + warmup
    stop = measure_from + seconds

    def client(number: int) -> None:
        nonlocal errors
        rng = random.Random(number)
        stream = fresh_queries(number) if fresh else None
        with httpx.Client(base_url=base, timeout=60) as http:
            sequence = -1
            while (now := time.monotonic()) < stop:
                sequence += 1
                params: dict[str, Any] = {"q": next(stream) if stream else rng.choice(QUERIES), "k": 10}
                if rng.random() < 0.3:
                    params["county"] = rng.choice(COUNTIES)
                try:
                    ok = http.get("/search", params=params).status_code == 200
                except httpx.HTTPError:
                    ok = False
                took = time.monotonic() - now
                if now >= measure_from:
                    with lock:
                        latencies.append(took)
                        errors += not ok
                        if by_request is not None and ok:
                            by_request[(number, sequence)] = took

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {"requests": len(latencies), "errors": errors, "requests_per_s": round(len(latencies) / seconds, 2),
            **latency_summary(latencies)}


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """p50/p95/p99/max/mean in milliseconds, and the max over the median."""
    latencies = sorted(seconds)
    if not latencies:
        return {"p50_ms": 0.0, "p95_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0, "max_over_p50": 0.0, "mean_ms": 0.0}

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000, 1)

    return {
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
        "max_ms": round(latencies[-1] * 1000, 1),
        "max_over_p50": round(latencies[-1] / latencies[len(latencies) // 2], 2),
        "mean_ms": round(statistics.fmean(latencies) * 1000, 1),
    }


def own_costs(runs: list[dict[tuple[int, int], float]]) -> dict[str, Any]:
    """Each request's fastest answer over runs against separately started servers.

    Every server sees the (fresh) query for the first time, so each answer is uncached; the
    machine's interruptions (another process, the load generator on the same cores) seldom
    strike the same request in every run, so the fastest is what the query itself costs."""
    common = set.intersection(*(set(run) for run in runs))
    return {"runs": len(runs), "requests": len(common),
            **latency_summary([min(run[key] for run in runs) for key in common])}


def dev_quality(model: str | None, backend: str | None) -> dict[str, Any]:
    """bench/eval_search.py's dev-set figures with this checkout's code."""
    from search.evaluation import (
        build_dev_corpus,
        evaluate,
        labels_by_doc_id,
        load_dev_queries,
        result_set_quality,
    )
    from search.service import SearchService

    corpus = FIXTURES / "search" / "dev_corpus.jsonl"
    with tempfile.TemporaryDirectory(prefix="regionsok-load-quality-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", embedding_model=model, embedding_backend=backend or "auto")
        build_dev_corpus(settings, FIXTURES / "html", FIXTURES / "pdf", corpus)
        service = SearchService(settings)
        labels = labels_by_doc_id(settings, corpus)
        queries = load_dev_queries(FIXTURES / "search" / "dev_queries.jsonl")
        ndcg = evaluate(service, queries, labels, modes=("hybrid",))
        return {"ndcg@10": {lang: by_mode["hybrid"] for lang, by_mode in ndcg.items()},
                "result_set_precision": result_set_quality(service, queries, labels)["precision"]}


def serve_and_load(args: argparse.Namespace, env: dict[str, str], data_dir: Path,
                   by_request: dict[tuple[int, int], float]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Start `regionsok serve` on ``data_dir``, measure it under load, stop it: its /health and the figures."""
    port_file = data_dir / "serve.port"
    port_file.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "regionsok", "serve", "--host", "127.0.0.1", "--port", "0",
         "--port-file", str(port_file), "--workers", str(args.workers)],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while not port_file.exists():  # written once the socket listens
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the server did not report its port")
            time.sleep(0.1)
        base = f"http://127.0.0.1:{int(port_file.read_text())}"
        health = _wait_ready(base, proc, args.workers)
        load_before = os.getloadavg()[0]  # other processes' load skews a 2-core measurement
        first = first_searches(base)
        stages_before = _stage_counts(base)
        result = run_load(base, args.clients, args.seconds, args.warmup, fresh=args.fresh, by_request=by_request)
        result["stage_mean_ms"] = _stage_means(stages_before, _stage_counts(base))
        result["memory"] = server_memory(proc.pid)
        result["first_searches_ms"] = first
        result["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
        return health, result
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="reuse/build here (default: a temp dir)")
    parser.add_argument("--chunks", type=int, default=100_000, help="index size to reach (default 100000)")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=30.0, help="measured duration")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--backend", choices=BACKENDS, default=None,
                        help="the server's query-embedding backend (default: REGIONSOK_EMBEDDING_BACKEND or torch)")
    parser.add_argument("--workers", type=int, default=1, help="server worker processes (serve --workers)")
    parser.add_argument("--fresh", action="store_true", help="every request a query never asked before")
    parser.add_argument("--repeat", type=int, default=1,
                        help="start the server this many times and run the same load against each; the "
                             "figures are the last run's, and `own_cost` each request's fastest answer")
    parser.add_argument("--quality", action="store_true", help="also score the dev set with this code")
    args = parser.parse_args()
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    temp = None
    data_dir = args.data_dir
    if data_dir is None:
        temp = tempfile.mkdtemp(prefix="regionsok-load-")
        data_dir = Path(temp) / "data"
    model = os.environ.get("REGIONSOK_EMBEDDING_MODEL")
    if model is None and Settings().model_dir.is_dir():
        model = str(Settings().model_dir)
    settings = Settings(data_dir=data_dir, embedding_model=model)
    apply_process_settings(settings, "build")  # this process indexes; the server it starts searches

    from regionsok.store import open_store

    built = time.monotonic()
    have = 0
    if settings.store_url or settings.db_path.is_file():
        with open_store(store_target(settings)) as store:
            have = store.chunk_count()
    if have == 0:
        build_demo(settings)
    if have < args.chunks:
        have = add_synthetic(settings, args.chunks)
    build_seconds = round(time.monotonic() - built, 1)
    import resource

    build_peak_mb = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # this process: the build

    env = {**os.environ, "REGIONSOK_DATA_DIR": str(data_dir)}
    if model:
        env["REGIONSOK_EMBEDDING_MODEL"] = model
    if args.backend:
        env["REGIONSOK_EMBEDDING_BACKEND"] = args.backend
    runs: list[dict[tuple[int, int], float]] = []
    health: dict[str, Any] = {}
    result: dict[str, Any] = {}
    try:
        for _ in range(args.repeat):  # a new server each time: each sees the same stream uncached
            runs.append({})
            health, result = serve_and_load(args, env, data_dir, runs[-1])
    finally:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
    if args.repeat > 1:
        result["own_cost"] = own_costs(runs)
    print(json.dumps({
        "bench": "api_load",
        "endpoint": "/search",
        "clients": args.clients,
        "workers": args.workers,
        "seconds": args.seconds,
        "documents": health.get("documents"),
        "chunks": health.get("chunks"),
        "store": "postgresql" if settings.store_url else "sqlite",
        "index_kind": health.get("index", {}).get("index_kind"),
        "backend": health.get("index", {}).get("backend"),
        "cpu_count": os.cpu_count(),
        "build_seconds": build_seconds,
        "build_peak_rss_mb": build_peak_mb,
        "fresh_queries": args.fresh,
        "server_starts": args.repeat,
        "raw_vectors_mb": round((health.get("index", {}).get("vectors") or 0) * (health.get("index", {}).get("dim") or 0)
                                * 4 / 2**20, 1),
        **result,
        **({"quality": dev_quality(model, args.backend)} if args.quality else {}),
    }))


if __name__ == "__main__":
    main()
