"""Does the keyword index rank exactly as SQLite FTS5 did? Every keyword ranking of the dev queries, as JSON.

The dev corpus (tests/fixtures: seed pages, the Kronoberg PDF, dev_corpus.jsonl) is indexed
into a temporary data directory (or ``--data-dir``); its chunks' normalised terms are then
loaded into an in-memory FTS5 table as the store held them before schema version 4, and every
keyword ranking the dev queries make (each ``plan_query`` ranking, and each of its terms
alone), top 200, is asked of both. Prints how many rankings there were, how many come back in
the same order as FTS5's and as scoring every posting ourselves, and the largest relative
difference between two scores. (Where a word is in more than half the chunks, idf sits at
FTS5's floor, scores are ~1e-6 and a tie or one-ulp difference can order two rows the other
way round in FTS5; the service never ranks such words at this size.)

With ``--existing DIR`` an indexed data dir is read as it is (nothing built), and the load
bench's queries are asked too: at 100k chunks and more, long posting lists are read by impact
and concepts come from their stored rankings (search.keyword), so this is the check that
those shortcuts change no ranking.

Run: .venv/bin/python bench/keyword_agreement.py [--data-dir DIR | --existing DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from regionsok.settings import Settings  # noqa: E402
from search.evaluation import build_dev_corpus, load_dev_queries  # noqa: E402
from search.hybrid import plan_query  # noqa: E402
from search.indexer import current_generation  # noqa: E402
from search.keyword import KeywordIndex  # noqa: E402

FIXTURES = REPO / "tests" / "fixtures"


def agreement(data_dir: Path, model_dir: Path, *, build: bool = True) -> dict[str, object]:
    settings = Settings(data_dir=data_dir, embedding_model=str(model_dir))
    if build:
        build_dev_corpus(settings, FIXTURES / "html", FIXTURES / "pdf", FIXTURES / "search" / "dev_corpus.jsonl")
    generation = current_generation(settings.index_dir)
    keyword = KeywordIndex.load(generation.path) if generation else None
    if keyword is None:
        raise SystemExit(f"no keyword index in {settings.index_dir}")
    fts = sqlite3.connect(":memory:")
    fts.execute("CREATE VIRTUAL TABLE f USING fts5(norm, tokenize='unicode61 remove_diacritics 0')")
    with sqlite3.connect(settings.db_path) as store:
        fts.executemany("INSERT INTO f (rowid, norm) VALUES (?, ?)", store.execute("SELECT vec_id, norm FROM chunks"))
    rankings = identical = same_as_full = 0
    worst = 0.0
    queries = [q.query for q in load_dev_queries(FIXTURES / "search" / "dev_queries.jsonl")]
    if not build:
        from api_load import QUERIES  # the load bench's queries, for an index it built

        queries += QUERIES
    for query in queries:
        for kq in plan_query(query).keyword:
            for terms in dict.fromkeys((kq.terms, keyword.discriminating(kq.terms), *((t,) for t in kq.terms))):
                if not terms:
                    continue
                ours = keyword.search(terms, 200)
                theirs = [(r[0], r[1]) for r in fts.execute(
                    "SELECT rowid, -rank FROM f WHERE f MATCH ? ORDER BY rank LIMIT 200", (" OR ".join(terms),))]
                rankings += 1
                identical += [v for v, _ in ours] == [v for v, _ in theirs]
                every_row, _ = keyword.full_ranking(terms)  # every posting scored: no shortcut
                same_as_full += [v for v, _ in ours] == keyword.vec_ids[every_row[:200]].tolist()
                worst = max([worst, *(abs(a - b) / abs(b) for (_, a), (_, b) in zip(ours, theirs, strict=False))])
    impacts = sum(s.impacts is not None for s in keyword.segments)
    return {"bench": "keyword_agreement", "chunks": len(keyword), "segments_with_impacts": impacts,
            "stored_rankings": len(keyword._rankings), "rankings": rankings,
            "identical_order": identical, "identical_to_scoring_every_posting": same_as_full, "max_relative_score_difference": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, help="Keep the indexed dev corpus here (reused next time).")
    parser.add_argument("--existing", type=Path, help="An indexed data dir to read as it is (nothing built).")
    parser.add_argument("--model-dir", type=Path, default=Settings().model_dir)
    args = parser.parse_args()
    if args.existing:
        sys.path.insert(0, str(REPO / "bench"))
        print(json.dumps(agreement(args.existing, args.model_dir, build=False)))
        return
    if args.data_dir:
        print(json.dumps(agreement(args.data_dir, args.model_dir)))
        return
    with tempfile.TemporaryDirectory(prefix="regionsok-agreement-") as tmp:
        print(json.dumps(agreement(Path(tmp) / "data", args.model_dir)))


if __name__ == "__main__":
    main()
