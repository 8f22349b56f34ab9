"""`regionsok regions QUERY` and `regionsok people NAME`: the CLI mirrors of the API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regionsok.settings import Settings


@pytest.fixture()
def cli(api_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    """A runner whose settings point at the demo corpus; the environment is restored after."""
    from regionsok.settings import get_settings

    monkeypatch.setenv("REGIONSOK_DATA_DIR", str(api_settings.data_dir))
    monkeypatch.setenv("REGIONSOK_EMBEDDING_MODEL", str(api_settings.embedding_model))
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


def test_regions_json_matches_the_api(cli: CliRunner, client) -> None:
    from app.cli import app

    result = cli.invoke(app, ["regions", "gambling addiction", "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert answer == client.get("/regions", params={"q": "gambling addiction"}).json()
    assert "05" in [c["code"] for c in answer["counties"]]


def test_regions_text_lists_counties_with_evidence(cli: CliRunner) -> None:
    from app.cli import app

    result = cli.invoke(app, ["regions", "spelberoende"])
    assert result.exit_code == 0, result.output
    assert "05 Östergötlands län" in result.stdout
    assert "Nu förbättras stödet" in result.stdout


def test_people_text_and_json(cli: CliRunner) -> None:
    from app.cli import app

    text = cli.invoke(app, ["people", "Akesson"])
    assert text.exit_code == 0, text.output
    assert "Maria Åkesson (M)" in text.stdout and "Spelberoende förstör liv" in text.stdout
    as_json = json.loads(cli.invoke(app, ["people", "Torbjörn Holmqvist", "--json"]).stdout)
    assert as_json["people"][0]["parties"] == ["S"] and len(as_json["people"][0]["documents"]) == 2


def test_bad_input_and_missing_index_are_clear_errors(cli: CliRunner, tmp_path: Path) -> None:
    from app.cli import app

    empty = cli.invoke(app, ["people", "   "])
    assert empty.exit_code == 2 and "name" in empty.output
    missing = cli.invoke(app, ["--data-dir", str(tmp_path / "none"), "regions", "spelberoende"])
    assert missing.exit_code == 1
    assert "regionsok index" in missing.output and "Traceback" not in missing.output


@pytest.mark.slow
@pytest.mark.parametrize("workers", [1, 2])
def test_serve_answers_on_the_port_it_reports(api_settings: Settings, workers: int, tmp_path: Path) -> None:
    """`serve --port 0 --port-file F` binds a free port, names it in F, and answers there."""
    import os
    import subprocess
    import sys
    import time

    import httpx

    port_file = tmp_path / "port"
    env = {**os.environ, "REGIONSOK_EMBEDDING_MODEL": str(api_settings.embedding_model)}
    server = subprocess.Popen(
        [sys.executable, "-m", "regionsok", "--data-dir", str(api_settings.data_dir), "serve",
         "--host", "127.0.0.1", "--port", "0", "--port-file", str(port_file), "--workers", str(workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        # The port file appears once the socket listens; from then on a connection waits in the
        # backlog until a worker has loaded, so one generous read timeout is the only wait.
        deadline = time.monotonic() + 300
        while not port_file.exists():
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            assert time.monotonic() < deadline, "regionsok serve never reported its port"
            time.sleep(0.1)
        base = f"http://127.0.0.1:{int(port_file.read_text())}"
        health = httpx.get(f"{base}/health", timeout=300)
        assert health.status_code == 200 and health.json()["status"] == "ok"
        for _ in range(2 * workers):  # with several workers, requests land on more than one
            page = httpx.get(f"{base}/", params={"q": "spelberoende"}, timeout=300)
            assert page.status_code == 200 and "Ny satsning mot spelberoende" in page.text
        # Each worker says which process it is, so a client (bench/api_load.py) can wait until
        # all of them are up: one still loading accepts no connection.
        answered: set[int] = set()
        while len(answered) < workers:
            assert time.monotonic() < deadline, f"only workers {answered} answered"
            answered.add(httpx.get(f"{base}/health", timeout=300).json()["worker_pid"])
        assert server.pid not in answered or workers == 1  # the workers, not the parent that spawned them
    finally:
        server.terminate()
        try:
            server.wait(timeout=300)
        except subprocess.TimeoutExpired:
            server.kill()
            raise


@pytest.mark.parametrize("args", [
    ["search", "spelberoende", "--county", "05", "-k", "3", "--json"],
    ["regions", "gambling addiction", "--json"],
    ["people", "Torbjörn Holmqvist", "--json"],
])
def test_server_option_gives_the_local_answer_from_a_running_server(
    cli: CliRunner, live_server: str, args: list[str]
) -> None:
    from app.cli import app

    local = cli.invoke(app, args)
    remote = cli.invoke(app, [*args, "--server", live_server])
    assert local.exit_code == remote.exit_code == 0, local.output + remote.output
    mine, theirs = json.loads(local.stdout), json.loads(remote.stdout)
    if args[0] == "search":  # the same documents, facts and counts (the API words its snippets itself)
        def brief(answer: dict) -> list[tuple]:
            return [(r["doc_id"], r["title"], r["counties"], r["people"], r["focus_areas"]) for r in answer["results"]]

        assert brief(mine) == brief(theirs) and mine["total"] == theirs["total"] > 0
        assert mine["facets"] == theirs["facets"]
    else:
        assert mine == theirs and (theirs.get("counties") or theirs.get("people"))


def test_server_option_reports_an_unreachable_server(cli: CliRunner) -> None:
    from app.cli import app

    result = cli.invoke(app, ["search", "spelberoende", "--server", "http://127.0.0.1:9"])
    assert result.exit_code == 1 and "cannot ask the server" in result.output


def test_export_takes_the_query_and_filters_of_search(cli: CliRunner, client) -> None:
    import csv
    import io

    from app.cli import app

    result = cli.invoke(app, ["export", "spelberoende", "--county", "05", "--excel", "--no-text"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.stdout.lstrip("\ufeff")), delimiter=";"))
    answer = client.get("/search", params={"q": "spelberoende", "county": "05", "k": 100}).json()
    assert [r["doc_id"] for r in rows] == [r["doc_id"] for r in answer["results"]] and len(rows) == answer["total"] > 0

    everything = cli.invoke(app, ["export", "--format", "jsonl", "--no-text"])
    assert len(everything.stdout.splitlines()) > len(rows)
    lonely_filter = cli.invoke(app, ["export", "--county", "05"])
    assert lonely_filter.exit_code == 2 and "QUERY" in lonely_filter.output
