"""Ingesting the seed pages, re-ingesting, versions, duplicates and JSON Lines records."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from ingest.pipeline import ingest_jsonl, ingest_paths
from regionsok.store import Store

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def _by_title(store: Store) -> dict[str, dict]:
    return {row["title"]: dict(row) for row in store.iter_documents()}


def test_seed_pages_become_five_documents_without_boilerplate(store: Store) -> None:
    report = ingest_paths(store, [FIXTURES / "html"])

    assert (report.new, report.failed) == (5, [])
    docs = _by_title(store)
    assert len(docs) == 5
    for doc in docs.values():
        assert doc["title"].strip()
        assert "Gå direkt till huvudinnehållet" not in doc["text"]
        assert "Webbplatsen använder teknik" not in doc["text"]
        assert "Godkänn alla kakor" not in doc["text"]
        assert "Tillgänglighetsredogörelse" not in doc["text"]
        assert doc["language"] == "sv"
    primary_care = docs["Stärker primärvården med 30 miljoner"]
    assert primary_care["published"] == date(2019, 11, 12).isoformat()
    # Its extracted text carries no press label (LABELS.md: a region's news item is a web page).
    assert primary_care["kind"] == "web_page"
    jonkoping = next(d for t, d in docs.items() if t.startswith("Jönköpings län får 1,4 miljoner"))
    assert jonkoping["published"] == date(2010, 1, 28).isoformat()
    assert "Anders Knape" in jonkoping["text"]


def test_reingesting_unchanged_input_writes_nothing(store: Store) -> None:
    ingest_paths(store, [FIXTURES / "html", FIXTURES / "pdf"])
    before = store.conn.total_changes

    report = ingest_paths(store, [FIXTURES / "html", FIXTURES / "pdf"])

    assert report.unchanged == 6 and report.new == report.changed == 0
    assert store.conn.total_changes == before


def test_changed_page_gives_version_two_and_keeps_version_one(store: Store, tmp_path: Path) -> None:
    page = tmp_path / "release.html"
    original = (FIXTURES / "html" / "004_f483bdd49a294f52.html").read_text(encoding="utf-8")
    page.write_text(original, encoding="utf-8")
    ingest_paths(store, [page])
    page.write_text(original.replace("30 miljoner kronor i engångsersättning",
                                     "45 miljoner kronor i engångsersättning"), encoding="utf-8")

    report = ingest_paths(store, [page])

    assert report.changed == 1
    (doc,) = list(store.iter_documents())
    versions = store.document_versions(doc["doc_id"])
    assert [v["version"] for v in versions] == [1, 2]
    assert "30 miljoner kronor i engångsersättning" in versions[0]["text"]
    assert "45 miljoner kronor i engångsersättning" in versions[1]["text"]
    assert doc["version"] == 2 and "45 miljoner" in doc["text"]


def test_same_text_under_two_urls_is_one_document_with_both_urls(store: Store, tmp_path: Path) -> None:
    text = (FIXTURES / "seeds" / "000_f16ed509a2a92c21.txt").read_text(encoding="utf-8")
    records = [
        {"url": "https://www.regionostergotland.se/press/overenskommelse", "text": text},
        {"url": "https://regionostergotland.mynewsdesk.com/pressreleases/overenskommelse-123", "text": text},
    ]
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")

    report = ingest_jsonl(store, path)

    assert (report.new, report.duplicate) == (1, 1)
    (doc,) = list(store.iter_documents())
    assert set(store.document_urls(doc["doc_id"])) == {r["url"] for r in records}


def test_jsonl_records_are_idempotent_and_versioned(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    record = {"id": "rjl-2010-01-28", "url": "https://www.rjl.se/nyheter/missbruk",
              "title": "Jönköpings län får 1,4 miljoner", "published": "2010-01-28",
              "text": (FIXTURES / "seeds" / "002_2d8ce6ff0a640360.txt").read_text(encoding="utf-8")}
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    first = ingest_jsonl(store, path)
    before = store.conn.total_changes
    again = ingest_jsonl(store, path)
    assert (first.new, again.unchanged, store.conn.total_changes) == (1, 1, before)

    record["text"] += "\nTillägg: konferensen flyttas till den 5 februari."
    path.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    changed = ingest_jsonl(store, path)

    assert changed.changed == 1
    doc = store.get_document("rjl-2010-01-28")
    assert doc is not None and doc["title"] == "Jönköpings län får 1,4 miljoner"
    assert doc["published"] == "2010-01-28"
    assert [v["version"] for v in store.document_versions("rjl-2010-01-28")] == [1, 2]


def test_bad_jsonl_lines_are_reported_and_the_rest_ingests(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "records.jsonl"
    good = {"url": "https://www.regionhalland.se/nyheter/spel", "text": "Region Halland satsar på "
            "förebyggande arbete mot spelberoende tillsammans med länets kommuner under 2024."}
    path.write_text("{not json\n" + json.dumps({"title": "no url"}) + "\n" + json.dumps(good) + "\n",
                    encoding="utf-8")

    report = ingest_jsonl(store, path)

    assert report.new == 1
    reasons = {f.source.rsplit(":", 1)[1]: f.reason for f in report.failed}
    assert reasons["1"].startswith("invalid JSON") and "url" in reasons["2"]


def test_pdf_agreement_is_ingested_with_title_kind_and_its_own_date(store: Store) -> None:
    report = ingest_paths(store, [FIXTURES / "pdf"])

    assert (report.new, report.failed) == (1, [])
    (doc,) = store.iter_documents()
    assert doc["title"].startswith("Överenskommelse om samverkan kring spelberoende")
    assert doc["kind"] == "agreement"
    assert "länets kommuner" in doc["text"]
    # the PDF's own metadata date, never the day it happened to be ingested
    assert doc["published"] == date(2023, 12, 14).isoformat()


def test_jsonl_text_records_are_plain_text_whatever_the_url_looks_like(store: Store, tmp_path: Path) -> None:
    text = "Kommunen öppnar en ny mottagning för unga med ångest. Mottagningen har öppet varje vardag."
    urls = ["https://kommun.example/nyhet.html", "https://kommun.example/plan.pdf",
            "https://kommun.example/nyheter/", "https://kommun.example/nyheter/123"]
    records = [{"id": f"r{i}", "url": url, "title": f"Nyhet {i}", "text": text + f" ({i})"} for i, url in enumerate(urls)]
    records.append({"id": "h", "url": "https://kommun.example/sida", "title": "Sidan",
                    "html": "<html><body><nav>Meny Start Kontakt</nav><main><p>" + text + "</p></main></body></html>"})
    path = tmp_path / "records.jsonl"
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")

    report = ingest_jsonl(store, path)

    assert report.failed == [] and report.new == 5
    for i in range(4):
        assert store.get_document(f"r{i}")["text"].startswith(text)
    assert "Meny" not in store.get_document("h")["text"] and text in store.get_document("h")["text"]


def test_ingest_leaves_every_document_extracted(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "one.jsonl"
    path.write_text(json.dumps({
        "id": "v", "url": "https://region.example/v", "title": "Spelberoende i Region Värmland",
        "text": "Region Värmland och kommunerna i Värmlands län satsar på stöd vid spelberoende, "
                "säger Karin Lund (S), regionråd.",
    }, ensure_ascii=False) + "\n", encoding="utf-8")

    report = ingest_jsonl(store, path)

    assert report.extracted == 1
    extraction = store.get_extraction("v")
    assert extraction is not None and "17" in extraction.counties and "gambling" in extraction.focus_areas
    assert store.stats()["awaiting_extraction"] == 0


def test_every_file_in_a_folder_is_accounted_for(store: Store, tmp_path: Path) -> None:
    import gzip

    folder = tmp_path / "inkorg"
    (folder / "under").mkdir(parents=True)
    (folder / "pressmeddelande.html").write_text(
        "<html><body><main><h1>Ny mottagning</h1><p>Regionen öppnar en mottagning för unga med ångest "
        "i Luleå, och den har öppet alla vardagar från och med mars.</p></main></body></html>", encoding="utf-8")
    (folder / "under" / "anteckning.txt.gz").write_bytes(gzip.compress(
        "Kommunen bygger ett nytt äldreboende i Piteå som står klart nästa år.".encode()))
    (folder / "avtal.docx").write_bytes(b"PK\x03\x04 not really a document")
    (folder / "poster.jsonl").write_text("{}\n", encoding="utf-8")
    (folder / ".git").mkdir()
    (folder / ".git" / "HEAD").write_text("ref: refs/heads/main\n", encoding="utf-8")

    report = ingest_paths(store, [folder])

    assert report.new == 2 and report.failed == []
    skipped = {Path(r.source).name: r.reason for r in report.skipped}
    assert set(skipped) == {"avtal.docx", "poster.jsonl"}
    assert ".docx" in skipped["avtal.docx"] and "--jsonl" in skipped["poster.jsonl"]
