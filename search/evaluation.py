"""Retrieval quality on a labelled dev set: nDCG@10 per query language and search mode.

The dev set is JSON Lines, one query per line: ``{"lang", "query", "relevant": {label:
grade}}`` with grades 2 (answers the query) and 1 (partly). Labels name documents of the
dev corpus independently of their ids: the first three characters of a seed HTML file
("000"), ``kronoberg-pdf`` for the PDF fixture, and the ``id`` of a JSON Lines record.
``bench/eval_search.py`` prints the figures; ``tests/search`` gates them.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from regionsok.settings import Settings

MODES = ("keyword", "vector", "hybrid")


@dataclass(frozen=True, slots=True)
class DevQuery:
    lang: str
    query: str
    relevant: dict[str, int]


def load_dev_queries(path: Path) -> list[DevQuery]:
    queries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            queries.append(DevQuery(row["lang"], row["query"], {k: int(v) for k, v in row["relevant"].items()}))
    return queries


def file_digest(paths: Iterable[Path]) -> str:
    """SHA-256 over the dev set's files, so a changed set is noticed (the floors assume this one)."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()


def ndcg_at_k(ranked: Sequence[str], relevant: dict[str, int], k: int = 10) -> float:
    """Normalised discounted cumulative gain of a ranking (gain ``2^grade - 1``)."""
    dcg = sum((2 ** relevant.get(label, 0) - 1) / math.log2(i + 2) for i, label in enumerate(ranked[:k]))
    ideal = sorted(relevant.values(), reverse=True)[:k]
    idcg = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def build_dev_corpus(settings: Settings, html_dir: Path, pdf_dir: Path, jsonl: Path, embedder: Any = None) -> None:
    """Ingest and index the dev corpus into ``settings.data_dir`` (idempotent)."""
    from ingest.pipeline import ingest_jsonl, ingest_paths
    from regionsok.store import Store
    from search.indexer import update_index

    with Store.open(settings.db_path) as store:
        reports = [ingest_paths(store, [html_dir, pdf_dir]), ingest_jsonl(store, jsonl)]
        failed = [r for report in reports for r in report.failed]
        if failed:
            raise AssertionError(f"dev corpus inputs failed to ingest: {failed}")
        update_index(store, settings, embedder=embedder)


def labels_by_doc_id(settings: Settings, jsonl: Path) -> dict[str, str]:
    """doc_id → dev-set label, matched through the documents' URLs."""
    from regionsok.store import Store
    from regionsok.text import canonical_url

    by_url = {canonical_url(json.loads(line)["url"]): json.loads(line)["id"]
              for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()}
    out: dict[str, str] = {}
    with Store.open(settings.db_path) as store:
        for row in store.iter_documents():
            url = row["url"]
            if url.endswith(".pdf"):
                out[row["doc_id"]] = "kronoberg-pdf"
            elif url.startswith("file:") and url.endswith(".html"):
                out[row["doc_id"]] = url.rsplit("/", 1)[-1][:3]
            elif url in by_url:
                out[row["doc_id"]] = by_url[url]
    return out


def evaluate(service: Any, queries: Sequence[DevQuery], labels: dict[str, str], k: int = 10,
             modes: Sequence[str] = MODES) -> dict[str, dict[str, float]]:
    """Mean nDCG@k per language and mode: ``{"sv": {"keyword": …, "vector": …, "hybrid": …}, "en": …}``."""
    from search.service import SearchRequest

    sums: dict[str, dict[str, float]] = {}
    counts: dict[str, int] = {}
    for q in queries:
        counts[q.lang] = counts.get(q.lang, 0) + 1
        for mode in modes:
            response = service.search(SearchRequest(query=q.query, k=k, mode=mode))
            ranked = [labels.get(hit.doc_id, hit.doc_id) for hit in response.hits]
            sums.setdefault(q.lang, {}).setdefault(mode, 0.0)
            sums[q.lang][mode] += ndcg_at_k(ranked, q.relevant, k)
    return {lang: {mode: round(total / counts[lang], 4) for mode, total in by_mode.items()}
            for lang, by_mode in sums.items()}
