"""Embedding throughput of the default model, fp32 torch vs the int8 backends, and what int8 costs in quality.

Prints one JSON object: chunks/s for each backend (torch fp32 at the configured batch size and
at batch 32, ONNX Runtime int8, OpenVINO int8) on ~100 Swedish chunks of ~200 tokens cut from the
seed texts in tests/fixtures/seeds (best of alternating rounds); per int8 backend the speed-up,
the cosine to the fp32 vectors, and the quality cost on the dev queries: the dev corpus
(tests/fixtures/search/) is indexed once per backend and nDCG@10 of vector-only and hybrid
search is measured per query language (search.evaluation, as bench/eval_search.py does).

Run: .venv/bin/python bench/embed_throughput.py [--model-dir ~/.cache/regionsok/model] [--chunks 96] [--rounds 3]
(`regionsok model build` first). Each backend embeds the chunks once after a warm-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regionsok.settings import Settings  # noqa: E402
from search.embedding import GRAPH_EMBEDDERS, Embedder, load_embedder  # noqa: E402
from search.runtime import apply_process_settings  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
SEEDS = FIXTURES / "seeds"
WINDOW_WORDS = 150  # ≈ 200 XLM-R tokens of Swedish prose
GRAPH_BACKENDS = tuple(GRAPH_EMBEDDERS)  # onnx-int8, openvino-int8

def seed_chunks(target: int) -> tuple[list[str], list[str]]:
    """Overlapping ~150-word windows of the seed texts, the stride chosen to give ~``target``."""
    docs = {p.name: " ".join(p.read_text(encoding="utf-8").split()) for p in sorted(SEEDS.glob("*.txt"))}
    if not docs:
        raise SystemExit(f"no seed texts in {SEEDS}")
    words = {name: text.split() for name, text in docs.items()}
    spans = sum(max(len(w) - WINDOW_WORDS, 0) + 1 for w in words.values())
    stride = max(1, round(spans / target))
    texts: list[str] = []
    sources: list[str] = []
    for name, w in words.items():
        for start in range(0, max(len(w) - WINDOW_WORDS, 0) + 1, stride):
            texts.append(" ".join(w[start : start + WINDOW_WORDS]))
            sources.append(name)
    return texts, sources


def dev_set_ndcg(model_dir: Path, backend: str, workdir: Path) -> dict[str, dict[str, float]]:
    """nDCG@10 (vector, hybrid) per language on the dev set, with the index built by ``backend``."""
    from search.evaluation import build_dev_corpus, evaluate, labels_by_doc_id, load_dev_queries
    from search.service import SearchService

    settings = Settings(data_dir=workdir / backend, embedding_model=str(model_dir), embedding_backend=backend)
    corpus = FIXTURES / "search" / "dev_corpus.jsonl"
    build_dev_corpus(settings, FIXTURES / "html", FIXTURES / "pdf", corpus)
    service = SearchService(settings)
    queries = load_dev_queries(FIXTURES / "search" / "dev_queries.jsonl")
    return evaluate(service, queries, labels_by_doc_id(settings, corpus), modes=("vector", "hybrid"))


def timed_documents(embedder: Embedder, texts: list[str]) -> tuple[np.ndarray, float]:
    embedder.encode_documents(texts[: embedder.batch_size])  # warm-up: first-call allocations
    start = time.perf_counter()
    vectors = embedder.encode_documents(texts)
    return vectors, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Settings().model_dir)
    parser.add_argument("--chunks", type=int, default=96)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    texts, _ = seed_chunks(args.chunks)
    result: dict[str, object] = {
        "bench": "embed_throughput",
        "machine": f"{platform.machine()} {os.cpu_count()} cpu",
        "model_dir": str(args.model_dir),
        "chunks": len(texts),
    }
    vectors: dict[str, np.ndarray] = {}
    base = Settings(embedding_model=str(args.model_dir))
    apply_process_settings(base, "build")  # document embedding, as `regionsok index` runs it
    embedders = {b: load_embedder(base.model_copy(update={"embedding_backend": b})) for b in GRAPH_BACKENDS}
    embedders = {"torch": load_embedder(base.model_copy(update={"embedding_backend": "torch"})), **embedders}
    # torch at a large batch too, the setting before it was measured (see the settings' batch size).
    embedders["torch-batch32"] = load_embedder(
        base.model_copy(update={"embedding_backend": "torch", "embedding_batch_size": 32})
    )
    tokenizer = embedders["torch"].model.tokenizer  # type: ignore[attr-defined]
    result["mean_tokens_per_chunk"] = round(float(np.mean([len(tokenizer("passage: " + t)["input_ids"])
                                                           for t in texts])), 1)
    result["batch_size"] = {name: e.batch_size for name, e in embedders.items()}
    # Rounds alternate between the backends and the best round counts: on a shared machine
    # the slowest rounds measure the neighbours, not the model.
    rates: dict[str, list[float]] = {b: [] for b in embedders}
    for _ in range(args.rounds):
        for backend, embedder in embedders.items():
            docs, seconds = timed_documents(embedder, texts)
            vectors[backend] = docs
            rates[backend].append(len(texts) / seconds)
    best = {backend: max(values) for backend, values in rates.items()}
    for backend, values in rates.items():
        result[f"{backend}_chunks_per_s"] = round(best[backend], 2)
        result[f"{backend}_chunks_per_s_rounds"] = [round(v, 2) for v in values]
    quality: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="regionsok-embed-bench-") as tmp:
        for backend in ("torch", *GRAPH_BACKENDS):
            quality[backend] = dev_set_ndcg(args.model_dir, backend, Path(tmp))
    result["dev_ndcg@10"] = quality
    for backend in GRAPH_BACKENDS:
        cosines = (vectors["torch"] * vectors[backend]).sum(axis=1)
        losses = {}
        for lang, by_mode in quality["torch"].items():
            for mode, fp32 in by_mode.items():
                ours = quality[backend][lang][mode]
                losses[f"{lang}_{mode}"] = round(100 * (fp32 - ours) / fp32, 2) if fp32 else 0.0
        result[backend] = {
            "speedup_vs_torch": round(best[backend] / best["torch"], 2),
            "speedup_vs_torch_batch32": round(best[backend] / best["torch-batch32"], 2),
            "mean_cosine_to_fp32": round(float(cosines.mean()), 5),
            "min_cosine_to_fp32": round(float(cosines.min()), 5),
            "ndcg_loss_pct": losses,
        }
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
