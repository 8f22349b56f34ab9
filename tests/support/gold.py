"""Helpers for tests and benches that need a small indexed corpus (not used by the product).

``ingest_with_gold`` ingests pages and stores hand-checked extractions for them (so facet
filters can be tested without running the NLP pipeline); ``label_doc_ids`` names the seed
documents by the first three characters of their file ("000".."004").
"""

from __future__ import annotations

import json
from pathlib import Path

from regionsok.records import Extraction
from regionsok.settings import Settings


def ingest_with_gold(settings: Settings, html_dir: Path, gold_jsonl: Path) -> None:
    """Ingest ``html_dir`` and store each page's gold extraction (matched on the file's prefix)."""
    from ingest.pipeline import ingest_paths
    from regionsok.store import Store

    gold = {row["file"][:3]: row for row in map(json.loads, gold_jsonl.read_text(encoding="utf-8").splitlines())}
    with Store.open(settings.db_path) as store:
        report = ingest_paths(store, [html_dir])
        if report.failed:
            raise AssertionError(f"fixture pages failed to ingest: {report.failed}")
        for row in store.iter_documents():
            prefix = row["url"].rsplit("/", 1)[-1][:3]
            if prefix in gold:
                store.save_extraction(row["doc_id"], row["sha256"], Extraction.from_json(gold[prefix]))


def label_doc_ids(settings: Settings) -> dict[str, str]:
    """Seed file prefix ("000".."004") → doc_id, for the HTML pages in the store."""
    from regionsok.store import Store

    with Store.open(settings.db_path) as store:
        return {row["url"].rsplit("/", 1)[-1][:3]: row["doc_id"] for row in store.iter_documents()
                if row["url"].endswith(".html")}
