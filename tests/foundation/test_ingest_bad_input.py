"""Bad input gets a clear per-file error, and everything else still ingests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest_paths
from regionsok.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"

ISO_PAGE = """<html><head><title>Nyheter</title></head><body><main><h1>Nytt samarbete i länet</h1>
<p>Region Jämtland Härjedalen och länets åtta kommuner har undertecknat en överenskommelse om
stöd till barn och unga med psykisk ohälsa. Överenskommelsen gäller från och med första januari.</p>
<p>- Det här är ett viktigt steg för våra barn, säger Åsa Öberg (S), regionråd.</p></main></body></html>"""


def _bad_inputs(folder: Path) -> dict[str, Path]:
    folder.mkdir()
    pdf = (FIXTURES / "pdf" / "overenskommelse-spelberoende-kronoberg.pdf").read_bytes()
    files = {
        "truncated.pdf": pdf[: len(pdf) // 3],
        "junk.html": bytes(range(256)) * 64,
        "latin1.html": ISO_PAGE.encode("iso-8859-1"),
        "empty.txt": b"",
        "huge.html": b"<html><body><main>" + "<p>Utfyllnad om vård och omsorg i regionen.</p>".encode() * 450_000
        + b"</main></body></html>",
        "good.pdf": pdf,
    }
    paths = {}
    for name, data in files.items():
        (folder / name).write_bytes(data)
        paths[name] = folder / name
    return paths


def test_each_bad_file_fails_with_a_reason_while_the_rest_ingests(store: Store, tmp_path: Path) -> None:
    paths = _bad_inputs(tmp_path / "inbox")
    assert paths["huge.html"].stat().st_size > 20_000_000

    report = ingest_paths(store, [tmp_path / "inbox"])

    reasons = {Path(f.source).name: f.reason for f in report.failed}
    assert set(reasons) == {"truncated.pdf", "junk.html", "empty.txt", "huge.html"}
    assert "PDF" in reasons["truncated.pdf"]
    assert "binary" in reasons["junk.html"]
    assert reasons["empty.txt"] == "empty file"
    assert "too large" in reasons["huge.html"]
    assert report.new == 2
    titles = {row["title"]: row for row in store.iter_documents()}
    latin1 = titles["Nytt samarbete i länet"]
    assert "länets åtta kommuner" in latin1["text"] and "Åsa Öberg" in latin1["text"]
    assert "\ufffd" not in latin1["text"]
    assert {row["input"].rsplit("/", 1)[1] for row in store.ingest_errors()} == set(reasons)


def test_encrypted_and_image_only_pdfs_are_rejected_with_reasons(store: Store, tmp_path: Path) -> None:
    fpdf = pytest.importorskip("fpdf")
    encrypted = fpdf.FPDF()
    encrypted.set_encryption(owner_password="owner", user_password="hemligt")
    encrypted.add_page()
    encrypted.set_font("helvetica", size=12)
    encrypted.cell(text="Confidential agreement text")
    encrypted.output(str(tmp_path / "encrypted.pdf"))
    image_only = fpdf.FPDF()
    image_only.add_page()
    image_only.rect(20, 20, 100, 60, style="F")  # a scanned page has pictures, not text
    image_only.output(str(tmp_path / "scanned.pdf"))

    report = ingest_paths(store, [tmp_path / "encrypted.pdf", tmp_path / "scanned.pdf"])

    reasons = {Path(f.source).name: f.reason for f in report.failed}
    assert "encrypted" in reasons["encrypted.pdf"]
    assert "no text layer" in reasons["scanned.pdf"]


def test_cli_lists_failures_and_exits_one(tmp_path: Path, run_cli) -> None:
    _bad_inputs(tmp_path / "inbox")

    result = run_cli("ingest", str(tmp_path / "inbox"), data_dir=tmp_path / "data")

    assert result.returncode == 1, result.stderr
    assert "2 new" in result.stdout and "4 failed" in result.stdout
    assert "truncated.pdf" in result.stdout and "empty file" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_cli_usage_errors_exit_two(tmp_path: Path, run_cli) -> None:
    assert run_cli("ingest", data_dir=tmp_path / "data").returncode == 2
    assert run_cli("export", "--format", "xml", data_dir=tmp_path / "data").returncode == 2
    assert run_cli("ingest", "--no-such-flag", data_dir=tmp_path / "data").returncode == 2
