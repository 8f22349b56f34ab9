"""`regionsok search` and `regionsok index` from the command line (in-process, via Typer's runner)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.cli import app
from regionsok.settings import Settings, get_settings


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """The CLI points the root logger at its (captured, then closed) stderr: undo that after."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture()
def cli_env(seed_settings: Settings, model_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("REGIONSOK_DATA_DIR", str(seed_settings.data_dir))
    monkeypatch.setenv("REGIONSOK_EMBEDDING_MODEL", str(model_dir))
    get_settings.cache_clear()
    yield seed_settings
    get_settings.cache_clear()


def test_search_json_has_the_documented_shape(cli_env: Settings) -> None:
    result = CliRunner().invoke(app, ["search", "gambling addiction", "-k", "2", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer["query"] == "gambling addiction"
    assert 1 <= len(answer["results"]) <= 2 and answer["total"] == len(answer["results"])
    first = answer["results"][0]
    for key in ("doc_id", "url", "title", "kind", "published", "counties", "score", "snippet"):
        assert key in first
    assert first["title"].startswith("Nu förbättras stödet")
    assert first["counties"] == ["05"]


def test_search_filters_and_table_output(cli_env: Settings) -> None:
    filters = ["--county", "06", "--kind", "press_release", "--since", "2010-01-01", "--until", "2010-12-31"]
    result = CliRunner().invoke(app, ["search", "vård", *filters, "--json"])
    assert result.exit_code == 0, result.output
    assert [r["title"][:30] for r in json.loads(result.stdout)["results"]] == ["Jönköpings län får 1,4 miljone"]
    table = CliRunner().invoke(app, ["search", "vård", *filters], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    assert "'vård' (sv): 1 document" in table.stdout
    assert "Jönköpings län får 1,4 miljoner" in table.stdout


@pytest.mark.parametrize(
    "args",
    [["search", "vård", "--county", "99"], ["search", "vård", "--since", "2019-13-01"], ["search", "  "],
     ["search", "vård", "--focus", "no-such-area"]],
)
def test_bad_input_is_a_usage_error_not_a_traceback(cli_env: Settings, args: list[str]) -> None:
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2
    assert "error:" in result.output
    assert "Traceback" not in result.output


def test_search_without_an_index_says_what_to_run(tmp_path: Path, model_dir: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REGIONSOK_DATA_DIR", str(tmp_path / "empty"))
    monkeypatch.setenv("REGIONSOK_EMBEDDING_MODEL", str(model_dir))
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["search", "vård"])
    get_settings.cache_clear()
    assert result.exit_code == 1
    assert "regionsok index" in result.output.replace("\n", " ")


def test_index_reports_nothing_to_do_on_an_up_to_date_store(cli_env: Settings) -> None:
    result = CliRunner().invoke(app, ["index", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["chunks_embedded"] == 0
    assert report["index_version"] == 1
