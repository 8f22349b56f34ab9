"""A process killed mid-ingest leaves a consistent store, and a rerun ingests the rest once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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

    proc = subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while _count(db, "documents") < 200 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = _count(db, "documents")
    assert 0 < killed_at < total, "the kill should land mid-ingest"

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
    assert f"{total - killed_at} new" in rerun.stdout or _count(db, "documents") == total
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM document_versions").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM pages").fetchone()[0] == total
        assert conn.execute("SELECT count(*) FROM pages WHERE ingested_sha256 = sha256").fetchone()[0] == total
