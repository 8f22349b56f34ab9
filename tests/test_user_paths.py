"""Every documented user path, from an empty data directory, as a new user would take it.

- a folder of HTML, PDF and text files → ``ingest`` → ``index`` → ``search --json``,
  ``regions`` and ``people``;
- the same texts as JSON Lines text records → ``ingest --jsonl`` (URLs ending in ``.html``,
  ``.pdf``, ``/`` and nothing);
- ``nightly`` against the served demo site, with no model built for that data directory.

The commands run as child processes of the installed CLI (``python -m regionsok``), with
only the data directory and the shared model directory set, as in the README; each path
runs twice, on the embedded SQLite store and with ``REGIONSOK_STORE_URL`` naming a real
PostgreSQL database (a fresh one per test, tests/conftest.py). The texts
are the project's own (tests/fixtures/paths), written for these tests.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from crawler.demosite import DemoSite
from crawler.demosite.sources import write_demo_sources

REPO = Path(__file__).resolve().parent.parent
PATHS = Path(__file__).resolve().parent / "fixtures" / "paths"
PDF = Path(__file__).resolve().parent / "fixtures" / "pdf"

pytestmark = pytest.mark.slow
STORE_URL: str | None = None  # REGIONSOK_STORE_URL for the commands (None: SQLite in the data dir)


@pytest.fixture(autouse=True, params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every path on both stores."""
    if request.param == "postgresql":
        monkeypatch.setattr(sys.modules[__name__], "STORE_URL", request.getfixturevalue("postgres_url"))
    return str(request.param)


def regionsok(data_dir: Path, model_dir: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """``regionsok --data-dir DIR ARGS…`` with the shared model dir and nothing else configured."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("REGIONSOK_")}
    env.update({"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "REGIONSOK_MODEL_DIR": str(model_dir)})
    if STORE_URL:
        env["REGIONSOK_STORE_URL"] = STORE_URL
    command = [sys.executable, "-m", "regionsok", "--data-dir", str(data_dir), *args]
    return subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=timeout)


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    return json.loads(ok(result))


def check_answers(data_dir: Path, model_dir: Path, gambling_counties: set[str]) -> None:
    """What a researcher and a journalist ask of the texts, through the CLI."""
    found = as_json(regionsok(data_dir, model_dir, "search", "spelberoende", "--json"))
    kalmar = next(r for r in found["results"] if "Kalmar" in r["title"])
    assert kalmar["counties"] == ["08"]
    assert {"Elin Bergkvist", "Jonas Hedlund"} <= set(kalmar["people"])
    assert "gambling" in kalmar["focus_areas"]
    # Only documents that match are counted: the suicide-prevention plan is not about gambling.
    assert found["total"] == len(gambling_counties)
    assert set(found["facets"]["county"]) == gambling_counties

    regions = as_json(regionsok(data_dir, model_dir, "regions", "gambling addiction", "--json"))
    assert {c["code"] for c in regions["counties"]} == gambling_counties
    for county in regions["counties"]:
        assert "spel" in county["evidence"][0]["snippet"].lower()

    suicide = as_json(regionsok(data_dir, model_dir, "regions", "suicide prevention", "--json"))
    assert [c["code"] for c in suicide["counties"]] == ["23"]

    people = as_json(regionsok(data_dir, model_dir, "people", "Elin Bergkvist", "--json"))
    person = people["people"][0]
    assert person["name"] == "Elin Bergkvist" and "S" in person["parties"]
    assert any("regionråd" in role for role in person["roles"])

    nothing = as_json(regionsok(data_dir, model_dir, "search", "xyzzyplugh kvantdator", "--json"))
    assert nothing["total"] == 0 and nothing["results"] == []


def test_a_folder_of_files_is_ingested_extracted_indexed_and_answers(tmp_path: Path, model_dir: Path) -> None:
    folder = tmp_path / "mina-filer"
    shutil.copytree(PATHS, folder)
    shutil.copytree(PDF, folder / "pdf")
    data_dir = tmp_path / "data"

    ingested = ok(regionsok(data_dir, model_dir, "ingest", str(folder)))
    assert "0 failed" in ingested and "3 extracted" in ingested, ingested
    stats = as_json(regionsok(data_dir, model_dir, "stats", "--json"))
    assert stats["extractions"] == stats["documents"] == 3
    assert stats["awaiting_extraction"] == 0 and stats["awaiting_index"] == 3

    ok(regionsok(data_dir, model_dir, "index"))
    assert as_json(regionsok(data_dir, model_dir, "stats", "--json"))["awaiting_index"] == 0
    assert not (data_dir / "model").exists()  # the one shared model served this data dir
    check_answers(data_dir, model_dir, {"07", "08"})  # the PDF is Kronoberg's agreement on gambling


def _records(tmp_path: Path) -> Path:
    """The two texts as {"id", "url", "title", "text"} records whose URLs look like HTML, PDF, a folder."""
    html = (PATHS / "kalmar-spelberoende.html").read_text(encoding="utf-8")
    body = html.split("<h1>", 1)[1].split("<footer>", 1)[0]
    kalmar_text = " ".join(part.split(">", 1)[-1] for part in body.split("<"))
    jamtland = (PATHS / "jamtland-suicidprevention.txt").read_text(encoding="utf-8")
    records = [
        {"id": "kalmar", "url": "https://www.regionkalmar.se/nyheter/spelberoende.html",
         "title": "Ny överenskommelse mot spelberoende i Kalmar län", "text": kalmar_text},
        {"id": "jamtland", "url": "https://www.regionjh.se/handlingsplan.pdf",
         "title": jamtland.splitlines()[0], "text": jamtland},
        {"id": "folder", "url": "https://www.example.se/psykisk-halsa/",
         "title": "Samverkan kring psykisk hälsa", "text": "Kommunerna i Västernorrland samverkar om psykisk hälsa."},
        {"id": "bare", "url": "https://www.example.se/nyheter/42",
         "title": "Nytt äldreboende i Sundsvall", "text": "Sundsvalls kommun bygger ett nytt äldreboende."},
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def test_jsonl_text_records_are_text_whatever_their_url_and_answer(tmp_path: Path, model_dir: Path) -> None:
    data_dir = tmp_path / "data"
    report = as_json(regionsok(data_dir, model_dir, "ingest", "--jsonl", str(_records(tmp_path)), "--json"))
    assert report["failed"] == [] and report["new"] == 4 and report["extracted"] == 4
    ok(regionsok(data_dir, model_dir, "index"))
    check_answers(data_dir, model_dir, {"08"})


def test_nightly_on_an_empty_data_dir_crawls_ingests_extracts_and_indexes(tmp_path: Path, model_dir: Path) -> None:
    data_dir = tmp_path / "var-lib-regionsok"  # as the README's systemd unit: nothing in it yet
    with DemoSite() as site:
        sources = write_demo_sources(tmp_path / "sources.toml", site.url)
        ok(regionsok(data_dir, model_dir, "nightly", "--sources", str(sources)))
    report = json.loads(max((data_dir / "runs").glob("*.json"), key=lambda p: p.stat().st_mtime).read_text())
    assert report["ok"] is True and report["stage_errors"] == {}
    assert report["index"]["chunks_embedded"] > 0 and report["extract"]["documents"] > 0
    stats = as_json(regionsok(data_dir, model_dir, "stats", "--json"))
    assert stats["awaiting_extraction"] == stats["awaiting_index"] == 0
    people = as_json(regionsok(data_dir, model_dir, "people", "Torbjörn Holmqvist", "--json"))
    assert people["people"] and "S" in people["people"][0]["parties"]
