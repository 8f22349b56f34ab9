"""Quality gate: the extraction scores on the labelled seeds and dev cases stay at the floors of issue 4.

The dev set is pinned by its hash so it cannot change silently: when you change
tests/fixtures/nlp/dev.jsonl on purpose, update DEV_SHA256 in the same change.
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parent.parent.parent
DEV_SHA256 = "f3bdde27a1afa2312f6521f7586cce66497cfa06ff4e7a7d0e2f871f13ba31a8"


def _eval_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_extract", REPO / "bench" / "eval_extract.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dev_set_is_the_pinned_one() -> None:
    digest = hashlib.sha256((REPO / "tests" / "fixtures" / "nlp" / "dev.jsonl").read_bytes()).hexdigest()
    assert digest == DEV_SHA256, "dev.jsonl changed: regenerate it with make_dev.py and update DEV_SHA256"


def test_extraction_meets_the_acceptance_floors_on_seeds_and_dev() -> None:
    result = _eval_module().run()
    assert result["dev"]["documents"] >= 50
    for name in ("dev", "seeds+dev"):
        scores = result[name]
        assert scores["counties"]["f1"] == 1.0
        assert scores["people"]["f1"] >= 0.95
        assert scores["focus_areas"]["f1"] >= 0.85
        assert scores["dates"]["f1"] >= 0.9
        assert scores["target_groups"]["f1"] >= 0.85
