"""Extraction throughput: documents/s of the Swedish NLP alone (no store, no I/O), as JSON.

Documents of about 2,000 characters are cut from the seed texts (tests/fixtures/seeds) and
the dev cases (tests/fixtures/nlp/dev.jsonl), repeated to ``--docs`` documents, and pushed
through ``ingest.nlp.extract_many`` (batched ``nlp.pipe``) after a warm-up that loads the
pipeline. The best of ``--repeats`` runs is reported, since the machine is shared.

Run: .venv/bin/python bench/extract_throughput.py [--docs 400] [--chars 2000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.nlp import PIPELINE_VERSION, extract_many  # noqa: E402

SEEDS = REPO / "tests" / "fixtures" / "seeds"
DEV = REPO / "tests" / "fixtures" / "nlp" / "dev.jsonl"


def documents(count: int, chars: int) -> list[str]:
    """``count`` texts of about ``chars`` characters, cut at a paragraph or word boundary."""
    sources = [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    sources += [json.loads(line)["text"] for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()]
    pool = "\n\n".join(sources)
    out: list[str] = []
    start = 0
    while len(out) < count:
        if start + chars > len(pool):
            start = 0
        end = pool.rfind(" ", start, start + chars)
        end = end if end > start + chars // 2 else start + chars
        out.append(pool[start:end])
        start = end + 1
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--chars", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    docs = documents(args.docs, args.chars)
    started = time.perf_counter()
    list(extract_many(docs[:8]))  # warm-up: builds the pipeline
    load_s = time.perf_counter() - started
    timings = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        count = sum(1 for _ in extract_many(docs))
        timings.append(time.perf_counter() - started)
    best = min(timings)
    print(json.dumps({
        "documents": count,
        "mean_chars": round(sum(map(len, docs)) / len(docs)),
        "best_seconds": round(best, 3),
        "docs_per_s": round(count / best, 1),
        "docs_per_s_runs": [round(count / t, 1) for t in timings],
        "pipeline_load_s": round(load_s, 2),
        "pipeline_version": PIPELINE_VERSION,
        "cpus": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
    }, indent=2))


if __name__ == "__main__":
    main()
