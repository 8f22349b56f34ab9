"""UTF-16 and UTF-32 files with a byte-order mark are read as text, not rejected as binary."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from regionsok.store import Store

PAGE = """<!doctype html><html><head><title>Stöd till unga i länet</title></head><body><main>
<h1>Stöd till unga i länet</h1>
<p>Regionen och länets kommuner satsar på förebyggande arbete för ungdomar med ångest och
nedstämdhet. Skolhälsovården får fler kuratorer och väntetiderna ska kortas.</p></main></body></html>"""
TEXT = ("Överenskommelse om hemsjukvård\nRegionen och kommunerna delar ansvaret för äldre som "
        "vårdas i hemmet, och distriktssköterskor gör fler hembesök under året.")


@pytest.fixture()
def store(store_location: str):  # type: ignore[no-untyped-def]
    with Store.open(store_location) as opened:  # on SQLite and on PostgreSQL
        yield opened


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
@pytest.mark.parametrize("name, content", [("sida.html", PAGE), ("beslut.txt", TEXT)])
def test_wide_unicode_with_a_bom_ingests_with_its_letters_intact(
    store: Store, tmp_path: Path, encoding: str, name: str, content: str,
) -> None:
    bom = {"utf-16-le": "\ufeff", "utf-16-be": "\ufeff", "utf-32-le": "\ufeff", "utf-32-be": "\ufeff"}
    path = tmp_path / name
    path.write_bytes((bom.get(encoding, "") + content).encode(encoding))

    report = ingest_paths(store, [path])

    assert report.new == 1, report.to_json()
    title, text = store.conn.execute("SELECT title, text FROM documents").fetchone()
    expected_title = "Stöd till unga i länet" if name.endswith(".html") else "Överenskommelse om hemsjukvård"
    assert title == expected_title
    assert "\x00" not in text and "\ufffd" not in text
    assert ("ångest" in text) if name.endswith(".html") else ("distriktssköterskor" in text)


def test_nul_bytes_without_a_bom_are_still_binary(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "konstig.txt"
    path.write_bytes(TEXT.encode("utf-16-le"))  # no BOM: nothing says this is text

    report = ingest_paths(store, [path])

    assert report.new == 0
    assert "binary" in report.failed[0].reason
