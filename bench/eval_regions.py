"""Precision and recall of "which regions address X" (`/regions`) on the demo corpus, as JSON.

The labelled set ``tests/fixtures/api/regions_gold.jsonl`` gives, per question, the counties
whose documents in the demo corpus really address it (read by hand; an empty list means
none does). For every question the answer's counties are compared with the label:
precision = listed counties that are right / listed counties, recall = right counties
listed / labelled counties, both micro-averaged over the set; ``exact`` counts questions
answered with exactly the labelled counties. Questions nothing addresses must list none.

Usage:
    python bench/eval_regions.py [--data-dir DIR]   # DIR: an indexed demo corpus to reuse
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

GOLD = REPO / "tests" / "fixtures" / "api" / "regions_gold.jsonl"


def load_gold(path: Path = GOLD) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluate(searcher: Any, store: Any, gold: list[dict[str, Any]]) -> dict[str, Any]:
    """Micro precision/recall over ``gold`` and the per-question answers that were wrong."""
    from search.regions import which_regions

    listed = right = labelled = exact = 0
    errors: list[dict[str, Any]] = []
    for item in gold:
        answer = which_regions(searcher, store, item["q"])
        got = {c.code for c in answer.counties}
        want = set(item["counties"])
        listed += len(got)
        right += len(got & want)
        labelled += len(want)
        exact += got == want
        if got != want:
            errors.append({"q": item["q"], "extra": sorted(got - want), "missing": sorted(want - got)})
    return {
        "questions": len(gold),
        "precision": round(right / listed, 3) if listed else 1.0,
        "recall": round(right / labelled, 3) if labelled else 1.0,
        "exact": exact,
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=None, help="an indexed demo corpus (default: build one)")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

    from regionsok.settings import Settings
    from regionsok.store import open_store
    from search.runtime import apply_process_settings
    from search.service import SearchService
    from tests.support.corpus import DEMO_INPUTS, build_corpus

    model = os.environ.get("REGIONSOK_EMBEDDING_MODEL")
    if model is None and Settings().model_dir.is_dir():
        model = str(Settings().model_dir)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="regionsok-eval-regions-") as temp:
        settings = Settings(data_dir=args.data_dir or Path(temp) / "data", embedding_model=model)
        if not settings.db_path.is_file():
            apply_process_settings(settings, "build")
            build_corpus(settings, DEMO_INPUTS)
        apply_process_settings(settings, "query")
        with open_store(settings.db_path) as store:
            result = evaluate(SearchService(settings), store, load_gold())
    print(json.dumps({"bench": "eval_regions", **result, "seconds": round(time.monotonic() - started, 1)},
                     ensure_ascii=False))


if __name__ == "__main__":
    main()
