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

from ingest.pipeline import ingest_jsonl, ingest_paths
from regionsok.settings import Settings
from regionsok.store import Store
from regionsok.text import canonical_url
from search.indexer import update_index
from search.regions import which_regions
from search.service import SearchRequest, all_result_ids

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

    with Store.open(settings.db_path) as store:
        reports = [ingest_paths(store, [html_dir, pdf_dir]), ingest_jsonl(store, jsonl)]
        failed = [r for report in reports for r in report.failed]
        if failed:
            raise AssertionError(f"dev corpus inputs failed to ingest: {failed}")
        update_index(store, settings, embedder=embedder)


def labels_by_doc_id(settings: Settings, jsonl: Path) -> dict[str, str]:
    """doc_id → dev-set label, matched through the documents' URLs."""

    by_url = {canonical_url(json.loads(line)["url"]): json.loads(line)["id"]
              for line in jsonl.read_text(encoding="utf-8").splitlines() if line.strip()}
    out: dict[str, str] = {}
    with Store.open(settings.db_path) as store:
        for row in store.iter_documents():
            url = row["url"]
            if url in by_url:
                out[row["doc_id"]] = by_url[url]
            elif url.startswith("file:") and url.endswith(".pdf"):
                out[row["doc_id"]] = "kronoberg-pdf"
            elif url.startswith("file:") and url.endswith(".html"):
                out[row["doc_id"]] = url.rsplit("/", 1)[-1][:3]
    return out


def evaluate(service: Any, queries: Sequence[DevQuery], labels: dict[str, str], k: int = 10,
             modes: Sequence[str] = MODES) -> dict[str, dict[str, float]]:
    """Mean nDCG@k per language and mode: ``{"sv": {"keyword": …, "vector": …, "hybrid": …}, "en": …}``."""

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


# -- result sets: does search say "no"? ---------------------------------------------------------


def result_set_quality(service: Any, queries: Sequence[DevQuery], labels: dict[str, str],
                       mode: str = "hybrid") -> dict[str, float]:
    """Micro precision and recall of the result *sets* (everything inside ``total``).

    Precision: graded documents among the results / results; recall: graded documents among
    the results / graded documents. A search that returns every document has recall 1.0 and
    the corpus' base rate as precision; one that says "no" to everything has recall 0.
    """

    found = graded = returned = 0
    for q in queries:
        got = {labels.get(d, d) for d in all_result_ids(service, SearchRequest(query=q.query, mode=mode))}
        want = {label for label, grade in q.relevant.items() if grade > 0}
        found += len(got & want)
        graded += len(want)
        returned += len(got)
    return {
        "precision": round(found / returned, 4) if returned else 1.0,
        "recall": round(found / graded, 4) if graded else 1.0,
        "mean_results": round(returned / len(queries), 2) if queries else 0.0,
    }


# -- labelled sets in the shared format (``--set DIR``) -------------------------------------------


@dataclass(frozen=True, slots=True)
class SetQuery:
    """A query of a ``queries.jsonl``: ``kind`` is "topic", "person" or "region_aggregate"."""

    qid: str
    query: str
    lang: str
    kind: str
    relevant: dict[str, int]
    answer_counties: tuple[str, ...] = ()

    def as_dev_query(self) -> DevQuery:
        return DevQuery(self.lang, self.query, self.relevant)


def load_set_queries(path: Path) -> list[SetQuery]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            out.append(SetQuery(row["qid"], row["query"], row["lang"], row["kind"],
                                {k: int(v) for k, v in row["relevant"].items()},
                                tuple(row.get("answer_counties") or ())))
    return out


def write_set_corpus(docs: Path, out: Path) -> Path:
    """The set's documents as ingestable text records (``id``, ``url``, ``title``, ``text`` only)."""
    with out.open("w", encoding="utf-8") as handle:
        for line in docs.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                record = {key: row[key] for key in ("id", "url", "title", "text") if key in row}
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    return out


def build_set_corpus(settings: Settings, jsonl: Path, embedder: Any = None) -> None:
    """Ingest (with extraction) and index a set's text records into ``settings.data_dir``."""

    with Store.open(settings.db_path) as store:
        report = ingest_jsonl(store, jsonl)
        if report.failed:
            raise AssertionError(f"set inputs failed to ingest: {report.failed}")
        update_index(store, settings, embedder=embedder)


def set_quality(service: Any, store: Any, queries: Sequence[SetQuery], labels: dict[str, str]) -> dict[str, Any]:
    """Topic nDCG@10 (sv, en) and result-set P/R, person recall@10, "which regions" county P/R/F1."""

    topics = [q.as_dev_query() for q in queries if q.kind == "topic"]
    people = [q for q in queries if q.kind == "person"]
    regions = [q for q in queries if q.kind == "region_aggregate"]
    hits = wanted = 0
    for q in people:
        top = {labels.get(h.doc_id, h.doc_id) for h in service.search(SearchRequest(query=q.query, k=10)).hits}
        relevant = {label for label, grade in q.relevant.items() if grade > 0}
        hits += len(top & relevant)
        wanted += len(relevant)
    listed = right = labelled = 0
    region_errors = []
    for q in regions:
        got = {c.code for c in which_regions(service, store, q.query).counties}
        want = set(q.answer_counties)
        listed, right, labelled = listed + len(got), right + len(got & want), labelled + len(want)
        if got != want:
            region_errors.append({"qid": q.qid, "extra": sorted(got - want), "missing": sorted(want - got)})
    precision = right / listed if listed else 1.0
    recall = right / labelled if labelled else 1.0
    return {
        "topic_ndcg@10": evaluate(service, topics, labels, modes=("hybrid",)),
        "topic_result_set": result_set_quality(service, topics, labels),
        "person_recall@10": round(hits / wanted, 4) if wanted else None,
        "regions": {
            "precision": round(precision, 4), "recall": round(recall, 4),
            "f1": round(2 * precision * recall / (precision + recall), 4) if precision + recall else 0.0,
            "errors": region_errors,
        },
    }
