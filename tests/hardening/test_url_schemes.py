"""Only http(s) addresses are stored from hostile input; local files keep their file:// URI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ingest.pipeline import ingest_jsonl, ingest_paths
from regionsok.store import Store

BODY = (
    "Regionen och kommunerna i länet har kommit överens om gemensamt stöd till äldre som "
    "vårdas i hemmet, med mer hemsjukvård och fler besök av distriktssköterskor."
)


@pytest.fixture()
def store(store_location: str):  # type: ignore[no-untyped-def]
    with Store.open(store_location) as opened:  # on SQLite and on PostgreSQL
        yield opened


@pytest.mark.parametrize("url", [
    "javascript:alert(1)", " JavaScript:alert(document.cookie)", "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)", "file:///etc/passwd", "/relative/path", "ftp://example.se/a",
])
def test_jsonl_record_with_a_non_web_url_is_rejected_and_the_rest_ingests(
    store: Store, tmp_path: Path, url: str,
) -> None:
    path = tmp_path / "batch.jsonl"
    records = [
        {"url": url, "title": "Farlig", "text": BODY},
        {"url": "https://region.example.se/nyheter/1", "title": "Bra", "text": BODY + " Första."},
    ]
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")

    report = ingest_jsonl(store, path)

    assert report.new == 1
    assert len(report.failed) == 1
    assert "URL scheme not allowed" in report.failed[0].reason
    assert "only http:// and https://" in report.failed[0].reason
    stored = [row[0] for row in store.conn.execute("SELECT url FROM documents")]
    assert stored == ["https://region.example.se/nyheter/1"]


def test_files_from_a_local_folder_still_ingest_under_their_file_uri(store: Store, tmp_path: Path) -> None:
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "beslut.txt").write_text("Beslut om hemsjukvård\n" + BODY, encoding="utf-8")

    report = ingest_paths(store, [folder])

    assert report.new == 1 and not report.failed
    stored = [row[0] for row in store.conn.execute("SELECT url FROM documents")]
    assert stored == [(folder / "beslut.txt").resolve().as_uri()]
