"""A process killed mid-ingest leaves a consistent store, and a rerun ingests the rest once.

The kill lands at a named stage (``REGIONSOK_FAULT_AT``, see :mod:`regionsok.faults`): the
child SIGKILLs itself there, so the test never races a child that is faster or slower
than expected.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from regionsok.errors import ConfigError
from regionsok.faults import FAULT_ENV, fault_point, parse_fault

REPO = Path(__file__).resolve().parents[2]
TOWNS = ["Linköping", "Norrköping", "Motala", "Jönköping", "Växjö", "Kalmar", "Luleå", "Umeå", "Visby", "Falun"]


def _records(n: int) -> list[dict[str, str]]:
    return [
        {
            "url": f"https://www.example-region.se/nyheter/{i}",
            "title": f"Nyhet {i} från {TOWNS[i % len(TOWNS)]}",
            "text": (
                f"Nyhet nummer {i}. {TOWNS[i % len(TOWNS)]} kommun och regionen har kommit överens om "
                "samverkan kring personer med missbruk och psykisk funktionsnedsättning. " * 8
            ),
        }
        for i in range(n)
    ]


def _count(db: Path, table: str) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_sigkill_during_large_ingest_then_rerun_ingests_everything_once(tmp_path: Path) -> None:
    total = 3000
    records = tmp_path / "records.jsonl"
    records.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in _records(total)),
                       encoding="utf-8")
    data_dir = tmp_path / "data"
    db = data_dir / "regionsok.sqlite3"
    env = {**os.environ, "REGIONSOK_DATA_DIR": str(data_dir)}
    command = [sys.executable, "-m", "regionsok", "ingest", "--jsonl", str(records)]

    killed = subprocess.run(command, env={**env, FAULT_ENV: "ingest.page@200"}, cwd=REPO,
                            capture_output=True, timeout=600)
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    killed_at = _count(db, "documents")
    assert killed_at == 200, "the kill lands right after the 200th record is committed"

    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # Every stored document is complete: it has its version and its URL.
        assert conn.execute(
            "SELECT count(*) FROM documents d WHERE NOT EXISTS "
            "(SELECT 1 FROM document_versions v WHERE v.doc_id = d.doc_id) OR NOT EXISTS "
            "(SELECT 1 FROM document_urls u WHERE u.doc_id = d.doc_id)"
        ).fetchone()[0] == 0

    rerun = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=600)

    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert f"{total - killed_at} new" in rerun.stdout
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM document_versions").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM pages WHERE ingested_sha256 = sha256").fetchone()[0] == total


def _run_fault_point(fault: str | None, name: str) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != FAULT_ENV} | ({FAULT_ENV: fault} if fault else {})
    code = f"from regionsok.faults import fault_point\nfor _ in range(3):\n    fault_point({name!r})\nprint('lived')"
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True, timeout=120)


def test_a_process_kills_itself_only_at_the_stage_the_environment_names() -> None:
    assert _run_fault_point("index.embed", "index.embed").returncode == -signal.SIGKILL
    assert _run_fault_point("index.embed@3", "index.embed").returncode == -signal.SIGKILL
    for fault in (None, "index.swap", "index.embed@4"):
        lived = _run_fault_point(fault, "index.embed")
        assert lived.returncode == 0 and lived.stdout.strip() == b"lived", fault


@pytest.mark.parametrize("value", ["@", "@2", "index.embed@", "index.embed@0", "index.embed@two"])
def test_a_malformed_fault_stage_is_a_config_error(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(FAULT_ENV, value)
    with pytest.raises(ConfigError, match=FAULT_ENV):
        fault_point("index.embed")
    assert parse_fault("index.embed@2") == ("index.embed", 2)
