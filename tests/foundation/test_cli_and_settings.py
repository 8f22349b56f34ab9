"""The command line's help, stats and export, and the settings' documentation."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

import pytest

from regionsok.settings import Settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def test_every_setting_is_documented() -> None:
    undocumented = [name for name, f in Settings.model_fields.items() if not (f.description or "").strip()]
    assert undocumented == []


def test_help_teaches_with_examples(run_cli, tmp_path: Path) -> None:
    top = run_cli("--help", data_dir=tmp_path)
    ingest = run_cli("ingest", "--help", data_dir=tmp_path)
    assert top.returncode == 0 and "ingest" in top.stdout and "--data-dir" in top.stdout
    assert ingest.returncode == 0 and "Examples" in ingest.stdout and "--jsonl" in ingest.stdout


def test_stats_and_export_describe_the_ingested_documents(
    run_cli, tmp_path: Path, store_location: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = tmp_path / "data"
    if store_location.startswith("postgresql://"):
        monkeypatch.setenv("REGIONSOK_STORE_URL", store_location)  # the commands run in subprocesses
    assert run_cli("ingest", str(FIXTURES / "html"), data_dir=data).returncode == 0
    assert (data / "regionsok.sqlite3").exists() == (not store_location.startswith("postgresql://"))

    stats = json.loads(run_cli("stats", "--json", data_dir=data).stdout)
    exported_jsonl = run_cli("export", "--format", "jsonl", data_dir=data).stdout.splitlines()
    exported_csv = list(csv.DictReader(io.StringIO(run_cli("export", "--format", "csv", data_dir=data).stdout)))

    assert stats["documents"] == 5 and stats["by_kind"]["press_release"] == 2
    records = [json.loads(line) for line in exported_jsonl]
    assert len(records) == len(exported_csv) == 5
    assert {"doc_id", "url", "title", "kind", "published", "language", "text"} <= set(records[0])
    published = {r["title"]: r["published"] for r in exported_csv}
    assert published["Stärker primärvården med 30 miljoner"] == "2019-11-12"


def test_data_dir_option_puts_everything_in_one_directory(run_cli, tmp_path: Path) -> None:
    data = tmp_path / "elsewhere"
    result = run_cli("--data-dir", str(data), "ingest", str(FIXTURES / "html"), data_dir=tmp_path / "unused")
    assert result.returncode == 0
    assert (data / "regionsok.sqlite3").exists()
    assert not (tmp_path / "unused").exists()


def test_overriding_a_setting_leaves_the_environment_alone(tmp_path: Path) -> None:
    from regionsok.settings import get_settings, override_settings

    before = dict(os.environ)
    assert override_settings(data_dir=tmp_path / "elsewhere").data_dir == tmp_path / "elsewhere"
    assert get_settings().data_dir == tmp_path / "elsewhere"
    assert dict(os.environ) == before
