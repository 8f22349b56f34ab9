"""Indexing throughput: chunks/s of the whole `index` stage beside embedding alone, as JSON.

What it measures, on the default backend (``auto``: the fastest this machine has), in a fresh
data directory: documents made of the seed texts (tests/fixtures/seeds, cut into ~600-word
documents, as many as ``--documents``) are stored, then

- ``index``: one `update_index` run from nothing: chunking, normalising for the keyword index,
  embedding, the FAISS index, the keyword segment, writing and swapping the generation and
  committing the chunk rows (model loading excluded: the embedder is loaded first);
- ``embed_only``: the same chunk texts embedded again by the same embedder, nothing else;
- ``update``: a second run after a tenth of the documents changed (the nightly case), which
  embeds only the new chunks and reuses the previous keyword segments.

``overhead_share`` is the part of an index run that is not embedding.

Run: .venv/bin/python bench/index_throughput.py [--documents 300] [--backend auto]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regionsok.records import Document  # noqa: E402
from regionsok.settings import Settings  # noqa: E402
from search.runtime import apply_process_settings  # noqa: E402

SEEDS = REPO / "tests" / "fixtures" / "seeds"
DOCUMENT_WORDS = 600


def seed_documents(count: int, variant: int = 0) -> list[Document]:
    """``count`` documents cut from the seed texts (words rotated per document, so none repeat)."""
    words = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))).split()
    if not words:
        raise SystemExit(f"no seed texts in {SEEDS}")
    out = []
    for n in range(count):
        start = (n * 137 + variant * 61) % len(words)
        body = (words[start:] + words[:start])[:DOCUMENT_WORDS]
        text = "\n\n".join(" ".join(body[i:i + 60]) for i in range(0, len(body), 60))
        out.append(Document(doc_id=f"bench{n:05d}", url=f"https://example.invalid/bench/{n}",
                            title=f"Dokument {n}", text=text + (f" Version {variant}." if variant else ""),
                            language="sv", kind="press_release", published=date(2024, 1, 1 + n % 28),
                            source="bench"))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--model-dir", type=Path, default=Settings().model_dir)
    args = parser.parse_args()

    from ingest.nlp import update_extractions
    from regionsok.store import open_store
    from search.embedding import load_embedder
    from search.indexer import update_index

    with tempfile.TemporaryDirectory(prefix="regionsok-index-bench-") as tmp:
        settings = Settings(data_dir=Path(tmp) / "data", embedding_model=str(args.model_dir),
                            embedding_backend=args.backend)
        apply_process_settings(settings, "build")
        embedder = load_embedder(settings)
        with open_store(settings.db_path) as store:

            def store_and_index(documents: list[Document]) -> tuple[Any, float]:
                """Store and extract ``documents``, then time one index run (what is measured)."""
                with store.transaction():
                    for doc in documents:
                        store.upsert_document(doc)
                update_extractions(store)
                started = time.perf_counter()
                report = update_index(store, settings, embedder=embedder)
                return report, time.perf_counter() - started

            first, index_seconds = store_and_index(seed_documents(args.documents))
            texts = [text for _, text in store.chunk_texts(store.all_vec_ids().tolist())]
            started = time.perf_counter()
            embedder.encode_documents(texts)
            embed_seconds = time.perf_counter() - started
            changed = seed_documents(max(1, args.documents // 10), variant=1)
            second, update_seconds = store_and_index(changed)

    chunks = len(texts)
    print(json.dumps({
        "bench": "index_throughput",
        "backend": embedder.backend,
        "documents": args.documents,
        "chunks": chunks,
        "cpu_count": os.cpu_count(),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "index": {"seconds": round(index_seconds, 2), "chunks_per_s": round(chunks / index_seconds, 1),
                  "keyword_rows": first.keyword_rows},
        "embed_only": {"seconds": round(embed_seconds, 2), "chunks_per_s": round(chunks / embed_seconds, 1)},
        "overhead_share": round(1 - embed_seconds / index_seconds, 3),
        "update": {"documents_changed": len(changed), "chunks_embedded": second.chunks_embedded,
                   "seconds": round(update_seconds, 2), "keyword_rebuilt": second.keyword_rebuilt,
                   "keyword_added": second.keyword_added},
    }))


if __name__ == "__main__":
    main()
