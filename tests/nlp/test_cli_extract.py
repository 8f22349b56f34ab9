"""`regionsok extract`: JSON Lines per input, no database."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from app.cli import app

KEYS = ["id", "kind", "counties", "organisations", "people", "quotes", "dates", "amounts", "focus_areas",
        "target_groups"]


def test_extract_prints_one_json_object_per_input(tmp_path: Path, fixtures_dir: Path) -> None:
    seed = fixtures_dir / "seeds" / "000_f16ed509a2a92c21.txt"
    records = tmp_path / "records.jsonl"
    records.write_text(
        json.dumps({"id": "r1", "text": "– Vi satsar, säger Anna Svensson (s), regionråd i Region Skåne."},
                   ensure_ascii=False) + "\n"
        + json.dumps({"url": "https://example.se/a", "html": "<html><body><main><p>Linköpings kommun och "
                      "länets kommuner arbetar mot våld i nära relationer.</p></main></body></html>",
                      "county_code": "05"}) + "\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["--data-dir", str(tmp_path / "data"), "extract", str(seed),
                                      "--jsonl", str(records)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [list(r) for r in rows] == [KEYS] * 3
    assert [r["id"] for r in rows] == [str(seed), "r1", "https://example.se/a"]
    assert rows[0]["kind"] == "press_release" and rows[0]["counties"] == ["05"]
    assert {"name": "Torbjörn Holmqvist", "party": "S",
            "role": "regionråd och ordförande Samråd vård och omsorg"} in rows[0]["people"]
    assert rows[1]["people"] == [{"name": "Anna Svensson", "party": "S", "role": "regionråd i Region Skåne"}]
    assert rows[2]["focus_areas"] == ["domestic_violence"]
    assert not (tmp_path / "data").exists()  # no database was created


def test_unreadable_inputs_are_listed_and_exit_1(tmp_path: Path) -> None:
    good = tmp_path / "ok.txt"
    good.write_text("Region Kronoberg satsar på suicidprevention i hela länet under året.", encoding="utf-8")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x"}\nnot json\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["extract", str(good), str(tmp_path / "missing.txt"), "--jsonl", str(bad)])
    assert result.exit_code == 1
    assert [json.loads(line)["id"] for line in result.stdout.splitlines()] == [str(good)]
    assert "missing.txt: no such file" in result.stderr
    assert 'needs "text" or "html"' in result.stderr and "invalid JSON" in result.stderr


def test_no_input_is_a_usage_error() -> None:
    assert CliRunner().invoke(app, ["extract"]).exit_code == 2
