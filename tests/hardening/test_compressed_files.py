"""Compressed files: gzip is read within the size limit, other archives are refused by name."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pytest

from ingest.extract import ExtractOptions, extract_page
from ingest.pipeline import ingest_paths
from regionsok.records import FetchedPage
from regionsok.store import Store

PAGE = """<!doctype html><html><head><title>Fler platser i förskolan</title></head><body><main>
<h1>Fler platser i förskolan</h1>
<p>Kommunerna i länet bygger ut förskolan och anställer fler pedagoger, så att alla barn får
plats nära hemmet inom fyra månader efter ansökan.</p></main></body></html>"""


@pytest.fixture()
def store(store_location: str):  # type: ignore[no-untyped-def]
    with Store.open(store_location) as opened:  # on SQLite and on PostgreSQL
        yield opened


def test_an_html_gz_file_is_decompressed_and_read_as_html(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "forskola.html.gz"
    path.write_bytes(gzip.compress(PAGE.encode("utf-8")))

    report = ingest_paths(store, [path])

    assert report.new == 1, report.to_json()
    title, text = store.conn.execute("SELECT title, text FROM documents").fetchone()
    assert title == "Fler platser i förskolan"
    assert "pedagoger" in text and "<p>" not in text


def test_a_gzip_bomb_is_refused_at_the_size_limit_without_inflating_it() -> None:
    bomb = gzip.compress(b"<html><body>" + b"a" * 50_000_000)
    page = FetchedPage(url="https://region.example.se/bomb.html.gz", body=bomb, content_type="text/html")

    result = extract_page(page, ExtractOptions(max_bytes=1_000_000))

    assert not hasattr(result, "text")
    assert "exceeds the 1.0 MB limit when decompressed" in result.reason  # type: ignore[union-attr]


@pytest.mark.parametrize("body, reason", [
    (gzip.compress(PAGE.encode())[:30], "broken gzip file"),
    (b"BZh91AY&SY" + b"\x00" * 40, "compressed archive (bzip2)"),
    (b"\xfd7zXZ\x00" + b"\x00" * 40, "compressed archive (xz)"),
])
def test_broken_or_other_compressed_files_get_a_reason(body: bytes, reason: str) -> None:
    page = FetchedPage(url="https://region.example.se/fil.html.gz", body=body, content_type="text/html")

    result = extract_page(page)

    assert reason in result.reason  # type: ignore[union-attr]


def test_a_zip_archive_is_refused_by_name() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sida.html", PAGE)
    page = FetchedPage(url="https://region.example.se/paket.zip", body=buffer.getvalue())

    result = extract_page(page)

    assert "compressed archive (zip" in result.reason  # type: ignore[union-attr]
