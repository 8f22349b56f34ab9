"""Extraction quality: per-field precision / recall / F1 of the Swedish NLP on labelled texts.

Two labelled sets, scored separately and together:

- ``seeds``: tests/fixtures/seeds/*.txt with tests/fixtures/seeds/gold.jsonl (the project's
  seed documents, copied from ../shared/seeds);
- ``dev``: tests/fixtures/nlp/dev.jsonl, hand-labelled cases written for this stage
  (several politicians in one release, contact blocks, lower-case party letters, misspelled
  names, municipal releases, kommunalförbund, agreements, decisions, non-Swedish text);
  its errors were used to improve the pipeline, so its scores are optimistic;
- ``holdout``: tests/fixtures/nlp/holdout.jsonl, cases written after that work and scored
  without tuning: the honest estimate.

Fields are scored as sets per document, micro-averaged over documents: ``counties``,
``people`` (name + party), ``people_names`` (name only), ``focus_areas``, ``target_groups``,
``dates``, ``organisations`` and ``amounts`` (only where a case labels them); ``kind`` is
accuracy. Acceptance (issue 4) is checked on dev and on seeds+dev: counties F1 = 1.0,
people F1 ≥ 0.95, focus areas F1 ≥ 0.85, dates F1 ≥ 0.9.

``--set DIR`` scores instead any set in the format of ``../shared/dev-real``: ``DIR/docs.jsonl``
with ``{"id", "url", "title", "kind", "text", "gold": {"counties", "organisations", "people":
[{"name", "party", "role"}], "dates", "focus_areas", "target_groups"}}`` per line. Each text is
extracted with its title as the only metadata (as ``regionsok extract --jsonl`` does with such a
record). Matching follows ../shared/LABELS.md: people and organisations are compared as written
(case and spacing folded), people also as name + party, dates as the ISO strings (``YYYY-MM-DD``,
``YYYY-MM`` or ``YYYY``) the rules give.

Run: .venv/bin/python bench/eval_extract.py [--set DIR] [--errors]   (prints one JSON object;
--errors also lists each wrong or missing value on stderr).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest.nlp import NlpInput, extract_many  # noqa: E402
from regionsok.records import Extraction  # noqa: E402

SEEDS = REPO / "tests" / "fixtures" / "seeds"
DEV = REPO / "tests" / "fixtures" / "nlp" / "dev.jsonl"
# Written after the pipeline was finished and scored once, never tuned against: an honest
# estimate, since the dev cases were used to find and fix errors.
HOLDOUT = REPO / "tests" / "fixtures" / "nlp" / "holdout.jsonl"
SET_FIELDS = ("counties", "people", "people_names", "focus_areas", "target_groups", "dates", "organisations",
              "amounts")
ACCEPTANCE = {"counties": 1.0, "people": 0.95, "focus_areas": 0.85, "dates": 0.9}


def load_cases() -> dict[str, list[dict[str, Any]]]:
    """Labelled cases by set: ``{"id", "text", "meta", "gold"}``."""
    seeds = []
    for line in (SEEDS / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            gold = json.loads(line)
            text = (SEEDS / gold["file"]).read_text(encoding="utf-8")
            seeds.append({"id": gold["file"], "text": text, "meta": {}, "gold": gold})
    return {"seeds": seeds, "dev": _cases(DEV), "holdout": _cases(HOLDOUT) if HOLDOUT.is_file() else []}


def _cases(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            case = json.loads(line)
            meta = {"title": case.get("title"), "county_hint": case.get("county_hint")}
            out.append({"id": case["id"], "text": case["text"], "meta": meta, "gold": case["gold"]})
    return out


def _norm(name: str) -> str:
    return " ".join(name.split()).casefold()


def values(record: dict[str, Any], field: str) -> set[Any] | None:
    """The comparable set of one field of a gold record or an extraction's JSON (None: unlabelled)."""
    if field == "people":
        return {(_norm(p["name"]), p.get("party")) for p in record.get("people", [])}
    if field == "people_names":
        return {_norm(p["name"]) for p in record.get("people", [])}
    if field not in record:
        return None
    if field == "amounts":
        return {round(a["sek"] if isinstance(a, dict) else a) for a in record["amounts"]}
    if field == "organisations":
        return {_norm(o) for o in record["organisations"]}
    return set(record[field])


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3), "tp": tp, "fp": fp, "fn": fn}


def score(cases: list[dict[str, Any]], predicted: list[Extraction], show_errors: bool,
          fields: tuple[str, ...] = SET_FIELDS) -> dict[str, Any]:
    counts = {f: [0, 0, 0] for f in fields}
    kind_ok = 0
    for case, extraction in zip(cases, predicted, strict=True):
        got_json = extraction.to_json()
        gold = case["gold"]
        if got_json["kind"] == gold["kind"]:
            kind_ok += 1
        elif show_errors:
            print(f"{case['id']} kind: got {got_json['kind']}, gold {gold['kind']}", file=sys.stderr)
        for field in fields:
            want = values(gold, field)
            if want is None:
                continue
            got = values(got_json, field) or set()
            counts[field][0] += len(got & want)
            counts[field][1] += len(got - want)
            counts[field][2] += len(want - got)
            if show_errors and got != want and field != "people_names":
                print(f"{case['id']} {field}: extra {sorted(got - want, key=str)} missing "
                      f"{sorted(want - got, key=str)}", file=sys.stderr)
    out: dict[str, Any] = {"documents": len(cases)}
    out.update({f: _prf(*c) for f, c in counts.items()})
    out["kind_accuracy"] = round(kind_ok / len(cases), 3) if cases else 1.0
    return out


def acceptance(result: dict[str, Any]) -> dict[str, bool]:
    return {field: result[field]["f1"] >= floor for field, floor in ACCEPTANCE.items()}


def run(show_errors: bool = False) -> dict[str, Any]:
    sets = load_cases()
    result: dict[str, Any] = {}
    predicted: dict[str, list[Extraction]] = {}
    for name, cases in sets.items():
        predicted[name] = list(extract_many(NlpInput(c["text"], **c["meta"]) for c in cases))
        result[name] = score(cases, predicted[name], show_errors)
    all_cases = sets["seeds"] + sets["dev"]
    result["seeds+dev"] = score(all_cases, predicted["seeds"] + predicted["dev"], False)
    result["acceptance"] = {"dev": acceptance(result["dev"]), "seeds+dev": acceptance(result["seeds+dev"])}
    result["acceptance"]["passed"] = all(
        all(checks.values()) for checks in (result["acceptance"]["dev"], result["acceptance"]["seeds+dev"])
    )
    return result


REAL_FIELDS = ("counties", "people_names", "people", "organisations", "dates", "focus_areas", "target_groups")


def load_set(directory: Path) -> list[dict[str, Any]]:
    """The labelled cases of a set in dev-real's format (``directory/docs.jsonl``)."""
    path = directory / "docs.jsonl"
    if not path.is_file():
        raise SystemExit(f"error: {path} does not exist (a set is a folder holding docs.jsonl)")
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            doc = json.loads(line)
            case = {"id": doc["id"], "text": doc["text"], "meta": {"title": doc.get("title")},
                    "gold": {"kind": doc["kind"], **doc["gold"]}}
        except (json.JSONDecodeError, KeyError, TypeError) as error:
            raise SystemExit(f"error: {path}:{number}: not a labelled document ({error})") from None
        for field in ("counties", "organisations", "people", "dates", "focus_areas", "target_groups"):
            if not isinstance(case["gold"].get(field), list):
                raise SystemExit(f"error: {path}:{number}: gold.{field} must be a list")
        cases.append(case)
    return cases


def run_set(directory: Path, show_errors: bool = False) -> dict[str, Any]:
    """Per-field P/R/F1 and kind accuracy of the extraction on one set in dev-real's format."""
    cases = load_set(directory)
    predicted = list(extract_many(NlpInput(c["text"], **c["meta"]) for c in cases))
    result = score(cases, predicted, show_errors, fields=REAL_FIELDS)
    result["set"] = str(directory)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", type=Path, metavar="DIR", help="score DIR/docs.jsonl (dev-real's format) instead")
    parser.add_argument("--errors", action="store_true", help="list wrong and missing values on stderr")
    args = parser.parse_args()
    result = run_set(args.set, args.errors) if args.set else run(args.errors)
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
