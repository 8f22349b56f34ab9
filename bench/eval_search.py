"""nDCG@10 of keyword-only, vector-only and hybrid search on the dev set, per query language.

The dev set: tests/fixtures/search/dev_queries.jsonl (Swedish and English queries with
graded relevance) over the seed pages (tests/fixtures/html), the Kronoberg PDF and
tests/fixtures/search/dev_corpus.jsonl. The corpus is ingested and indexed into a temporary
data directory (or ``--data-dir``, reused when it already holds it); the same figures gate
the tests (tests/search/test_eval_gate.py).

Prints one JSON object: ``{"ndcg@10": {"sv": {"keyword", "vector", "hybrid"}, "en": {…}},
"result_set": {"precision", "recall", "mean_results"}, …}`` (result_set: graded documents
inside ``total`` / everything inside it, and / every graded document) and, for comparison, ``plain_rrf_ndcg@10``: language-blind classic RRF (k=60) of the vectors
and the query's own words;
``--per-query`` adds every query's figures (to see what a change helped or hurt).
``--rankings FILE`` writes every query's ranked document ids and totals (each mode, and
hybrid under a county and a kind filter) as JSON, to compare two implementations' orders.

With ``REGIONSOK_STORE_URL`` (and ``REGIONSOK_DATA_DIR`` = ``--data-dir``) the corpus is stored in
that PostgreSQL database instead of the data directory's SQLite file.

``--set DIR`` scores a labelled set in the shared format instead (DIR/docs.jsonl ingested as
text records, DIR/queries.jsonl with topic, person and region_aggregate queries): topic
nDCG@10 per language and result-set precision/recall, person recall@10 and the "which
regions" answer's county precision/recall/F1 (``/regions``).

Run: .venv/bin/python bench/eval_search.py [--per-query] [--backend auto|torch|onnx-int8|openvino-int8]
     .venv/bin/python bench/eval_search.py --set ../shared/dev-real
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regionsok.settings import Settings  # noqa: E402
from regionsok.store import Store  # noqa: E402
from search.evaluation import (  # noqa: E402
    MODES,
    build_dev_corpus,
    build_set_corpus,
    evaluate,
    file_digest,
    labels_by_doc_id,
    load_dev_queries,
    load_set_queries,
    ndcg_at_k,
    result_set_quality,
    set_quality,
    write_set_corpus,
)
from search.hybrid import PLAIN_RRF  # noqa: E402
from search.runtime import apply_process_settings  # noqa: E402
from search.service import SearchRequest, SearchService  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"
QUERIES = FIXTURES / "search" / "dev_queries.jsonl"
CORPUS = FIXTURES / "search" / "dev_corpus.jsonl"


def write_rankings(service: SearchService, queries: list[str], path: Path) -> None:
    """Each query's document ids in order and its total, per mode and under two filters."""
    from regionsok.records import SearchFilters

    variants: dict[str, tuple[str, SearchFilters]] = {
        mode: (mode, SearchFilters()) for mode in MODES}
    variants["hybrid county=07"] = ("hybrid", SearchFilters(counties=("07",)))
    variants["hybrid kind=press_release"] = ("hybrid", SearchFilters(kinds=("press_release",)))
    out = {}
    for query in queries:
        for name, (mode, filters) in variants.items():
            response = service.search(SearchRequest(query=query, k=10, mode=mode, filters=filters))
            # URLs, not ids: a local file's id depends on the checkout's path, its URL less so.
            out[f"{query} | {name}"] = {"ids": [h.url.replace(REPO.as_uri(), "") for h in response.hits],
                                        "total": response.total,
                                        "facets": response.facets}
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")


def run(data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    settings = Settings(data_dir=data_dir, embedding_model=str(args.model_dir), embedding_backend=args.backend)
    apply_process_settings(settings, "build")
    build_dev_corpus(settings, FIXTURES / "html", FIXTURES / "pdf", CORPUS)
    apply_process_settings(settings, "query")
    service = SearchService(settings)
    labels = labels_by_doc_id(settings, CORPUS)
    queries = load_dev_queries(QUERIES)
    result: dict[str, object] = {
        "bench": "eval_search",
        "store": "postgresql" if settings.store_url else "sqlite",
        "backend": args.backend,
        "dev_set_sha256": file_digest((QUERIES, CORPUS)),
        "queries": {lang: sum(q.lang == lang for q in queries) for lang in sorted({q.lang for q in queries})},
        "documents": len(labels),
        "ndcg@10": evaluate(service, queries, labels),
        "result_set": result_set_quality(service, queries, labels),
        # Language-blind classic RRF of the query's own words and the vectors, for comparison.
        "plain_rrf_ndcg@10": {lang: by_mode["hybrid"] for lang, by_mode in evaluate(
            SearchService(settings, fusion=PLAIN_RRF), queries, labels, modes=("hybrid",)).items()},
    }
    if args.per_query:
        rows = []
        for q in queries:
            row: dict[str, object] = {"lang": q.lang, "query": q.query}
            for mode in MODES:
                hits = service.search(SearchRequest(query=q.query, k=10, mode=mode)).hits
                row[mode] = round(ndcg_at_k([labels.get(h.doc_id, h.doc_id) for h in hits], q.relevant), 4)
            rows.append(row)
        result["per_query"] = rows
    if args.rankings:
        write_rankings(service, [q.query for q in queries], args.rankings)
    return result


def run_set(data_dir: Path, args: argparse.Namespace) -> dict[str, object]:
    settings = Settings(data_dir=data_dir, embedding_model=str(args.model_dir), embedding_backend=args.backend)
    data_dir.mkdir(parents=True, exist_ok=True)
    corpus = write_set_corpus(args.set / "docs.jsonl", data_dir / "set-records.jsonl")
    if not settings.db_path.is_file():
        apply_process_settings(settings, "build")
        build_set_corpus(settings, corpus)
    apply_process_settings(settings, "query")
    service = SearchService(settings)
    labels = labels_by_doc_id(settings, corpus)
    queries = load_set_queries(args.set / "queries.jsonl")
    with Store.open(settings.db_path) as store:
        figures = set_quality(service, store, queries, labels)
    if args.rankings:
        write_rankings(service, [q.query for q in queries if q.query], args.rankings)
    return {"bench": "eval_search", "set": str(args.set), "store": "postgresql" if settings.store_url else "sqlite",
            "backend": service.embedder.backend,
            "set_sha256": file_digest((args.set / "docs.jsonl", args.set / "queries.jsonl")),
            "documents": len(labels), "queries": len(queries), **figures}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=Settings().model_dir)
    parser.add_argument("--backend", default="auto", help="auto, torch, onnx-int8 or openvino-int8")
    parser.add_argument("--set", type=Path, help="Score a labelled set in the shared format (docs.jsonl, queries.jsonl).")
    parser.add_argument("--data-dir", type=Path, help="Keep the indexed dev corpus here (reused next time).")
    parser.add_argument("--per-query", action="store_true", help="Also print each query's nDCG@10.")
    parser.add_argument("--rankings", type=Path, help="Write every query's ranked ids (to compare implementations).")
    args = parser.parse_args()
    work = run_set if args.set else run
    if args.data_dir:
        result = work(args.data_dir, args)
    else:
        with tempfile.TemporaryDirectory(prefix="regionsok-eval-") as tmp:
            result = work(Path(tmp) / "data", args)
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
