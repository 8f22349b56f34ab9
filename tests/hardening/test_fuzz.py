"""Fuzzing: random and mutated HTML, PDF, JSONL and text never crash ingest or the NLP.

Hypothesis generates inputs from scratch (random bytes, random JSON) and by mutating the
real fixture files (flipped and inserted bytes, cut and repeated ranges, hostile snippets:
NUL, BOMs, CDATA, deep nesting, bogus PDF lengths and filters, gzip and UTF-16 wrapping).
What must hold for every input:

- ``extract_page`` returns a ``Document`` or a ``Rejected`` with a reason; nothing raises;
- ``ingest_jsonl`` accounts for every line (stored, or failed with a reason); nothing raises;
- the NLP turns any text, with any hints, into an ``Extraction``;
- each example finishes within a generous deadline, and a 5 MB input stays within a memory
  bound (measured in a child process, so the C libraries' allocations count too).

The same properties run under atheris (coverage-guided) when it is installed:
``python tests/hardening/test_fuzz.py extract|jsonl|nlp [libFuzzer flags]``.
"""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from ingest.extract import MIN_TEXT_CHARS, extract_page
from ingest.pipeline import ingest_jsonl
from regionsok.records import DOCUMENT_KINDS, Document, Extraction, FetchedPage, Rejected
from regionsok.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
REPO = Path(__file__).resolve().parents[2]
HTML_FIXTURES = [p.read_bytes() for p in sorted((FIXTURES / "html").glob("*.html"))]
PDF_FIXTURE = (FIXTURES / "pdf" / "overenskommelse-spelberoende-kronoberg.pdf").read_bytes()
NLP_TEXTS = [json.loads(line)["text"] for line in
             (FIXTURES / "nlp" / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:12] if line.strip()]

# Generous per-example ceiling: a busy two-core machine, not a benchmark (the slowest example
# takes well under a second). Examples are few and derandomized, so `make test` runs the same
# inputs every time in a few seconds; `HYPOTHESIS_FUZZ_EXAMPLES=2000` explores new random ones.
EXAMPLES = int(os.environ.get("HYPOTHESIS_FUZZ_EXAMPLES", "0")) or None
FUZZ = settings(deadline=timedelta(seconds=5), database=None, derandomize=EXAMPLES is None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def examples(default: int) -> settings:
    return settings(FUZZ, max_examples=EXAMPLES or default)


HTML_SNIPPETS = [
    b"\x00", b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff", b"\x80\x81\xfe", b"<![CDATA[", b"]]>", b"<!--",
    b"-->", b"<script>alert(1)</script>", b"<style>", b"&#0;", b"&#xD800;", b"&#x110000;", b"&amp",
    b'<meta charset="utf-16">', b'<meta charset="no-such-charset">', b'<meta http-equiv="refresh" content="0">',
    b"<div>" * 3000, b"</div>" * 50, b"<table><tr><td>" * 200, b"<html><body>", b"</html>", b"<?xml ?>",
    b"<!DOCTYPE html [<!ENTITY a 'aaaa'>]>", b"<title>", b"</title>", b"\r", "\u2028".encode(),
    "ÅÄÖ åäö – “citat”, säger Anna Andersson (S).".encode(), b"<p>" + b"x" * 5000 + b"</p>",
    b"<a href='javascript:alert(1)'>", b'<img src=x onerror="alert(1)">', b"<svg><![CDATA[", b"\xed\xa0\x80",
]
PDF_SNIPPETS = [
    b"\x00", b"obj", b"endobj", b"stream\n", b"endstream", b"xref", b"trailer", b"startxref\n0\n", b"%%EOF",
    b"/Length 999999999", b"/Length -1", b"/Filter /FlateDecode", b"/Filter /LZWDecode", b"/Filter [/A85 /Fl]",
    b"/Encrypt << /V 9 >>", b"/Type /ObjStm /N 99999", b"/Count 100000000", b"/Kids [1 0 R]", b"1 0 R",
    b"<< /Root 1 0 R >>", b"(\\", b"<<" * 500, b"[" * 500, b"/Parent 3 0 R", b"\xff" * 64,
]


@st.composite
def mutated(draw: st.DrawFn, base: bytes, snippets: list[bytes]) -> bytes:
    """``base`` with a few random edits: flip, cut, delete, insert, repeat a range, splice a snippet."""
    data = bytearray(base)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        op = draw(st.sampled_from(["flip", "truncate", "delete", "insert", "repeat", "snippet"]))
        at = draw(st.integers(min_value=0, max_value=len(data)))
        span = draw(st.integers(min_value=1, max_value=256))
        if op == "flip" and at < len(data):
            data[at] ^= draw(st.integers(min_value=1, max_value=255))
        elif op == "truncate":
            del data[at:]
        elif op == "delete":
            del data[at:at + span]
        elif op == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=64))
        elif op == "repeat":
            data[at:at] = bytes(data[at:at + span]) * draw(st.integers(min_value=2, max_value=50))
        else:
            data[at:at] = draw(st.sampled_from(snippets))
    return bytes(data)


@st.composite
def wrapped(draw: st.DrawFn, body: bytes) -> tuple[bytes, str]:
    """The body as served: as is, gzipped (URL ends .gz) or re-encoded as UTF-16 with a BOM."""
    how = draw(st.sampled_from(["plain", "plain", "gzip", "utf16"]))
    if how == "gzip":
        return gzip.compress(body, compresslevel=1), ".gz"
    if how == "utf16":
        return b"\xff\xfe" + body.decode("utf-8", "replace").encode("utf-16-le"), ""
    return body, ""


CONTENT_TYPES = ["", "text/html", "text/html; charset=utf-8", "text/html; charset=iso-8859-1",
                 "text/html; charset=bogus", "application/pdf", "text/plain", "application/octet-stream",
                 "text/plain; charset=utf-16"]
SOURCES = [None, "file", "jsonl", "demo-press"]


def _page(body: bytes, suffix: str, content_type: str, source: str | None) -> FetchedPage:
    return FetchedPage(url=f"https://www.example-region.se/dokument/sida{suffix}", body=body,
                       content_type=content_type, source=source)


def assert_document_or_reason(result: object) -> None:
    assert isinstance(result, Document | Rejected), type(result)
    if isinstance(result, Rejected):
        assert isinstance(result.reason, str) and result.reason.strip()
        event(f"rejected: {result.reason.split(':')[0][:40]}")  # --hypothesis-show-statistics
    else:
        event("document")
        assert len(result.text) >= MIN_TEXT_CHARS and result.title and result.kind in DOCUMENT_KINDS
        assert result.url.startswith("https://")


def warm_parsers() -> None:
    """Import trafilatura, pypdf and spaCy once, so no example's deadline pays for it."""
    from ingest.nlp import extract_text

    extract_page(_page(HTML_FIXTURES[0], ".html", "text/html", None))
    extract_page(_page(PDF_FIXTURE, ".pdf", "application/pdf", None))
    extract_text(NLP_TEXTS[0])


@pytest.fixture(scope="module", autouse=True)
def _warm_parsers() -> None:
    warm_parsers()


@examples(60)
@given(body=st.binary(max_size=4096), suffix=st.sampled_from(["", ".html", ".pdf", ".txt", ".html.gz", ".gz"]),
       content_type=st.sampled_from(CONTENT_TYPES), source=st.sampled_from(SOURCES))
def test_random_bytes_become_a_document_or_a_reason(body: bytes, suffix: str, content_type: str,
                                                    source: str | None) -> None:
    assert_document_or_reason(extract_page(_page(body, suffix, content_type, source)))


@examples(60)
@given(data=st.data())
def test_mutated_html_pages_become_a_document_or_a_reason(data: st.DataObject) -> None:
    base = data.draw(st.sampled_from(HTML_FIXTURES))
    body, gz = data.draw(wrapped(data.draw(mutated(base, HTML_SNIPPETS))))
    content_type = data.draw(st.sampled_from(CONTENT_TYPES[:5]))

    assert_document_or_reason(extract_page(_page(body, ".html" + gz, content_type, data.draw(st.sampled_from(SOURCES)))))


@examples(40)
@given(body=mutated(PDF_FIXTURE, PDF_SNIPPETS))
def test_mutated_pdfs_become_a_document_or_a_reason(body: bytes) -> None:
    assert_document_or_reason(extract_page(_page(body, ".pdf", "application/pdf", None)))


def _json_values() -> st.SearchStrategy[Any]:
    scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
    return st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                        | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=8)


FIELD_VALUES = (_json_values() | st.sampled_from(
    ["", "https://www.example-region.se/a", "http://[", "javascript:alert(1)", "\ud800", "=cmd|' /C calc'!A0",
     "2024-02-30", "99999-01-01", "<p>" + NLP_TEXTS[0] + "</p>", NLP_TEXTS[1], "\x00" * 50]))
RECORD_KEYS = ["url", "text", "html", "title", "published", "id", "kind"]


@st.composite
def jsonl_line(draw: st.DrawFn) -> bytes:
    """One line of a JSONL file: a plausible record with fuzzed fields, any JSON, or raw bytes."""
    shape = draw(st.sampled_from(["record", "record", "mutated", "json", "bytes"]))
    if shape == "record":
        record = {"url": f"https://www.example-region.se/{draw(st.integers(0, 5))}", "text": NLP_TEXTS[2]}
        for key in draw(st.lists(st.sampled_from(RECORD_KEYS), max_size=4)):
            record[key] = draw(FIELD_VALUES)
        line = json.dumps(record, ensure_ascii=draw(st.booleans()))
        return line.encode("utf-8", "surrogatepass")
    if shape == "mutated":
        valid = json.dumps({"url": "https://www.example-region.se/m", "title": "Titel", "text": NLP_TEXTS[3]},
                           ensure_ascii=False).encode("utf-8")
        return draw(mutated(valid, [b"\\ud800", b'"', b"\\", b"{", b"}", b"\xff", b"\x00"]))
    if shape == "json":
        return json.dumps(draw(_json_values())).encode("utf-8")
    return draw(st.binary(max_size=200))


def _expected_inputs(lines: list[bytes]) -> int:
    """Lines ingest must account for: all but blank ones (read the way ingest reads them)."""
    decoded = [raw.decode("utf-8-sig" if number == 0 else "utf-8", "replace") for number, raw in enumerate(lines)]
    return sum(1 for line in decoded if line.strip())


@examples(40)
@given(lines=st.lists(jsonl_line().map(lambda raw: raw.replace(b"\n", b" ")), min_size=1, max_size=6))
def test_every_fuzzed_jsonl_line_is_stored_or_failed_with_a_reason(lines: list[bytes]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "records.jsonl"
        path.write_bytes(b"\n".join(lines) + b"\n")
        with Store.open(Path(folder) / "regionsok.sqlite3") as store:
            report = ingest_jsonl(store, path, extract=False)
            stored = store.conn.execute("SELECT count(*) FROM documents").fetchone()[0]

    assert report.total == _expected_inputs(lines)
    assert all(isinstance(f, Rejected) and f.reason.strip() for f in report.failed)
    assert stored == len(report.doc_ids)  # every stored document is one the report names


# Crashes this fuzzer found, kept as plain cases: each line now fails with its reason.
SAYS = "Regionen satsar på vård och omsorg för äldre i hela länet."


def _record(**fields: Any) -> bytes:
    return json.dumps({"url": "https://a.se/1", "text": SAYS, **fields}).encode()


FOUND_LINES = [
    (_record(title=5), '"title" must be a string'),
    (_record(published=["2024"]), '"published" must be a string'),
    (_record(id={"a": 1}), '"id" must be a string or a number'),
    (_record(text="\ud800" + SAYS), "unpaired surrogate"),
    (_record(url="http://["), "URL cannot be parsed"),
    (b"\xff\xfe" + _record(), "not UTF-8"),
]


@pytest.mark.parametrize("line, reason", FOUND_LINES)
def test_a_jsonl_line_the_fuzzer_crashed_on_fails_with_its_reason(tmp_path: Path, line: bytes, reason: str) -> None:
    path = tmp_path / "records.jsonl"
    good = json.dumps({"url": "https://a.se/ok", "text": NLP_TEXTS[0]}).encode()
    path.write_bytes(line + b"\n" + good + b"\n")
    with Store.open(tmp_path / "regionsok.sqlite3") as store:
        report = ingest_jsonl(store, path, extract=False)

    assert report.new == 1  # the good line after it still ingests
    assert len(report.failed) == 1 and reason in report.failed[0].reason


COUNTY_HINTS = st.none() | st.sampled_from(["", "01", "07", "25", "99", "xx", "Region Kalmar län"]) | st.text(max_size=4)
KIND_HINTS = st.none() | st.sampled_from(["press_release", "agreement", "mixed", "", "nonsense"]) | st.text(max_size=8)


@pytest.mark.parametrize("county_hint", ["99", "Kalmar", "8"])
def test_a_hint_that_is_no_county_code_is_not_a_county_of_the_text(county_hint: str) -> None:
    from ingest.nlp import extract_text

    text = "Regionen och länets kommuner har tecknat en överenskommelse om stöd till äldre."
    assert extract_text(text, county_hint=county_hint).counties == ()
    assert extract_text(text, county_hint="08").counties == ("08",)  # a real code still counts


def assert_extraction(result: object) -> None:
    assert isinstance(result, Extraction)
    assert result.kind in DOCUMENT_KINDS
    assert all(len(code) == 2 and code.isdigit() and 1 <= int(code) <= 25 for code in result.counties)


@examples(40)
@given(text=st.text(max_size=2000), title=st.none() | st.text(max_size=80), county_hint=COUNTY_HINTS,
       kind_hint=KIND_HINTS)
def test_the_nlp_turns_any_text_into_an_extraction(text: str, title: str | None, county_hint: str | None,
                                                   kind_hint: str | None) -> None:
    from ingest.nlp import extract_text

    assert_extraction(extract_text(text, title=title, county_hint=county_hint, kind_hint=kind_hint))


@examples(40)
@given(data=st.data())
def test_the_nlp_turns_mutated_press_releases_into_an_extraction(data: st.DataObject) -> None:
    from ingest.nlp import extract_text

    base = data.draw(st.sampled_from(NLP_TEXTS)).encode("utf-8")
    text = data.draw(mutated(base, [s for s in HTML_SNIPPETS if len(s) < 100])).decode("utf-8", "replace")
    assert_extraction(extract_text(text, county_hint=data.draw(COUNTY_HINTS), kind_hint=data.draw(KIND_HINTS)))


# -- a 5 MB input: bounded memory, measured where C allocations count -------------------------

_PEAK_PROBE = """
import json, resource, sys
from ingest.extract import extract_page
from ingest.nlp import extract_text
from regionsok.records import Document, FetchedPage, Rejected

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

kind = sys.argv[1]
extract_page(FetchedPage(url="https://a.se/x.html", body=b"<p>" + b"Regionen satsar. " * 10 + b"</p>"))
extract_text("Regionen satsar på vården.")
before = peak_mb()
paragraph = "<p>Region Kalmar län och länets kommuner satsar på vård och omsorg för äldre.</p>\\n"
if kind == "html":
    body = ("<html><body><main>" + paragraph * (5_000_000 // len(paragraph)) + "</main></body></html>").encode()
    result = extract_page(FetchedPage(url="https://a.se/stor.html", body=body, content_type="text/html"))
    ok = isinstance(result, Document | Rejected)
elif kind == "text":
    sentence = paragraph[3:-6] + " "
    body = (sentence * (5_000_000 // len(sentence.encode()) + 1)).encode()
    ok = extract_text(body.decode()).kind is not None
else:
    raise SystemExit(f"unknown kind {kind}")
print(json.dumps({"ok": ok, "input_mb": len(body) / 1e6, "extra_mb": peak_mb() - before}))
"""


def _peak(kind: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _PEAK_PROBE, kind], env=env, capture_output=True, text=True,
                          timeout=600, cwd=REPO)
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.slow
# Measured: +126 MB for the HTML page (lxml tree + trafilatura), +71 MB for the text (the NLP
# reads its first 1.5 M characters); the ceilings leave room, and catch a copy per paragraph.
@pytest.mark.parametrize("kind, ceiling_mb", [("html", 400), ("text", 300)])
def test_a_five_megabyte_input_stays_within_a_memory_bound(kind: str, ceiling_mb: int) -> None:
    result = _peak(kind)

    assert result["ok"] and result["input_mb"] >= 4.9
    assert result["extra_mb"] < ceiling_mb, result


# -- atheris: the same properties, coverage-guided, when atheris is installed ------------------

def _atheris_targets() -> dict[str, Callable[..., Any]]:
    return {
        "extract": test_mutated_html_pages_become_a_document_or_a_reason,
        "pdf": test_mutated_pdfs_become_a_document_or_a_reason,
        "jsonl": test_every_fuzzed_jsonl_line_is_stored_or_failed_with_a_reason,
        "nlp": test_the_nlp_turns_any_text_into_an_extraction,
    }


def _instrument(packages: tuple[str, ...]) -> None:
    """Coverage-instrument the functions of these packages only (``instrument_all`` would also
    instrument torch and take minutes)."""
    import inspect

    import atheris

    for name, module in list(sys.modules.items()):
        if name.split(".")[0] not in packages:
            continue
        for value in list(vars(module).values()):
            members = vars(value).values() if inspect.isclass(value) else (value,)
            for member in members:
                if inspect.isfunction(member) and member.__module__ == name:
                    atheris.instrument_func(member)


if __name__ == "__main__":  # pragma: no cover - a manual, open-ended fuzzing run
    import atheris

    target = _atheris_targets()[sys.argv.pop(1)]
    warm_parsers()  # imports every parser first, so they can be instrumented
    _instrument(("ingest", "regionsok", "trafilatura", "pypdf", "htmldate", "justext", "courlan"))
    atheris.Setup(sys.argv, target.hypothesis.fuzz_one_input)  # type: ignore[attr-defined]
    atheris.Fuzz()
