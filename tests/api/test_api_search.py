"""`/search`, its export, `/documents`, `/facets` and `/health` on the demo corpus."""

from __future__ import annotations

import csv
import io
import json

from fastapi.testclient import TestClient

RESULT_FIELDS = {
    "doc_id", "url", "title", "kind", "published", "counties", "organisations", "people", "focus_areas",
    "score", "snippet",
}


def _search(client: TestClient, **params: object) -> dict:
    answer = client.get("/search", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_search_answers_with_the_documented_fields(client: TestClient) -> None:
    body = _search(client, q="spelberoende", k=5)
    assert {"query", "total", "results", "facets"} <= set(body)
    assert body["query"] == "spelberoende"
    assert body["results"], "a Swedish topic the corpus covers finds documents"
    for result in body["results"]:
        assert RESULT_FIELDS <= set(result)
        assert result["snippet"]
    assert set(body["facets"]) == {"county", "focus_area", "kind", "year"}
    assert len(body["results"]) <= 5 <= body["total"] or body["total"] == len(body["results"])


def test_english_query_finds_the_swedish_gambling_agreements(client: TestClient) -> None:
    body = _search(client, q="gambling addiction", k=5)
    titles = " ".join(r["title"].lower() for r in body["results"][:3])
    assert "spelberoende" in titles
    assert body["language"] == "en"


def test_county_filter_keeps_only_that_county_and_accepts_names(client: TestClient) -> None:
    by_code = _search(client, q="överenskommelse", county="05", k=20)
    assert by_code["results"]
    assert all("05" in r["counties"] for r in by_code["results"])
    by_name = _search(client, q="överenskommelse", county="Östergötland", k=20)
    assert [r["doc_id"] for r in by_name["results"]] == [r["doc_id"] for r in by_code["results"]]


def test_kind_and_language_filters(client: TestClient) -> None:
    english = _search(client, q="primary care", lang="en")
    assert english["results"] and all(r["language"] == "en" for r in english["results"])
    agreements = _search(client, q="spelberoende", kind="agreement")
    assert all(r["kind"] == "agreement" for r in agreements["results"])


def test_person_and_organisation_filters_forgive_spelling(client: TestClient) -> None:
    by_person = _search(client, q="vård", person="akesson", k=20)
    assert len(by_person["results"]) == 2
    assert all("Maria Åkesson" in r["people"] for r in by_person["results"])
    by_organisation = _search(client, q="vård", organisation="region skane", k=20)
    assert by_organisation["results"]
    assert all("Region Skåne" in r["organisations"] for r in by_organisation["results"])
    misspelt = _search(client, q="vård", organisation="Region Skåme")
    assert misspelt["total"] == 0 and "Region Skåne" in misspelt["notices"][0]["message"]


def test_pages_do_not_repeat_documents(client: TestClient) -> None:
    first = _search(client, q="vård", k=3, page=1)
    second = _search(client, q="vård", k=3, page=2)
    assert first["results"] and second["results"]
    assert not {r["doc_id"] for r in first["results"]} & {r["doc_id"] for r in second["results"]}


def test_bad_parameters_are_422_with_a_message_and_no_trace(client: TestClient) -> None:
    cases = {
        "q": {"q": "x" * 501},
        "k": {"q": "vård", "k": 101},
        "county": {"q": "vård", "county": "Atlantis"},
        "focus": {"q": "vård", "focus": "no_such_area"},
        "kind": {"q": "vård", "kind": "poem"},
        "lang": {"q": "vård", "lang": "fi"},
        "county ": {"q": "vård", "county": ""},
    }
    for name, params in cases.items():
        answer = client.get("/search", params=params)
        assert answer.status_code == 422, (name, answer.text)
        detail = answer.json()["detail"]
        assert name.strip() in detail, (name, detail)
        assert "Traceback" not in answer.text
    missing = client.get("/search")
    assert missing.status_code == 422 and "q" in missing.json()["detail"]


def test_a_filter_no_document_can_match_gives_no_results_and_says_why(client: TestClient) -> None:
    """Valid by the schema, empty on this data: 200, nothing found, and a notice naming the value."""
    cases = {
        "organisation": {"q": "vård", "organisation": "Region Atlantis"},
        "person": {"q": "vård", "person": "Zzyzx Qwerty"},
        "since": {"q": "vård", "since": "2024-01-01", "until": "2023-01-01"},
    }
    assert _search(client, q="vård")["total"] > 0
    for name, params in cases.items():
        answer = client.get("/search", params=params)
        assert answer.status_code == 200, (name, answer.text)
        body = answer.json()
        assert body["total"] == 0 and body["results"] == [], name
        assert [n["parameter"] for n in body["notices"]] == [name], body["notices"]
        assert str(params[name]) in body["notices"][0]["value"]
    # The other filters are still checked when the answer is empty anyway.
    mixed = client.get("/search", params={"q": "vård", "person": "Zzyzx Qwerty", "county": "99"})
    assert mixed.status_code == 422 and "county" in mixed.json()["detail"]


def test_the_schema_lists_the_counties_slugs_and_kinds_it_takes(client: TestClient) -> None:
    params = {p["name"]: p["schema"] for p in client.get("/openapi.json").json()["paths"]["/search"]["get"]["parameters"]}
    counties = params["county"]["items"]["enum"]
    assert {"05", "Östergötland", "Region Östergötland", "Östergötlands län"} <= set(counties)
    assert "02" not in counties and "Atlantis" not in counties
    assert "gambling" in params["focus"]["items"]["enum"]
    assert "children_and_young_people" in params["target"]["items"]["enum"]
    assert set(params["kind"]["items"]["enum"]) == {"press_release", "agreement", "decision", "report", "web_page"}
    assert params["lang"]["enum"] == ["sv", "en", "other"]
    # Exactly what the schema lists: a spelling it does not list is refused, with the reason.
    assert client.get("/search", params={"q": "vård", "county": "Region Östergötland"}).status_code == 200
    refused = client.get("/search", params={"q": "vård", "county": "02"})
    assert refused.status_code == 422 and "unknown county '02'" in refused.json()["detail"]


def test_unknown_county_message_lists_valid_codes(client: TestClient) -> None:
    detail = client.get("/search", params={"q": "vård", "county": "99"}).json()["detail"]
    assert "05" in detail and "25" in detail


def test_export_csv_and_jsonl_hold_the_search_results(client: TestClient) -> None:
    params = {"q": "spelberoende", "k": 5}
    ids = [r["doc_id"] for r in _search(client, **params)["results"]]
    as_csv = client.get("/export/search.csv", params={"q": "spelberoende", "limit": 5})
    assert as_csv.status_code == 200
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in as_csv.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text.lstrip("\ufeff"))))
    assert [r["doc_id"] for r in rows] == ids
    assert set(rows[0]) >= RESULT_FIELDS
    as_jsonl = client.get("/export/search.jsonl", params={"q": "spelberoende", "limit": 5})
    assert as_jsonl.status_code == 200
    records = [json.loads(line) for line in as_jsonl.text.splitlines()]
    assert [r["doc_id"] for r in records] == ids
    assert isinstance(records[0]["counties"], list)


def test_document_has_entities_and_versions(client: TestClient) -> None:
    hit = _search(client, q="Torbjörn Holmqvist primärvården 30 miljoner", k=1)["results"][0]
    answer = client.get(f"/documents/{hit['doc_id']}")
    assert answer.status_code == 200
    document = answer.json()
    assert document["text"] and document["versions"][0]["version"] == 1
    names = {p["name"] for p in document["entities"]["people"]}
    assert "Torbjörn Holmqvist" in names
    missing = client.get("/documents/no-such-document")
    assert missing.status_code == 404 and "no-such-document" in missing.json()["detail"]


def test_facets_count_documents_per_value(client: TestClient) -> None:
    facets = client.get("/facets").json()
    assert facets["county"]["05"] >= 2
    assert facets["focus_area"]["gambling"] >= 2
    assert facets["county_names"]["05"] == "Östergötlands län"
    assert sum(facets["kind"].values()) == client.get("/health").json()["documents"]


def test_health_reports_sizes_index_version_and_last_nightly_run(client: TestClient, api_settings) -> None:
    from regionsok.store import open_store

    health = client.get("/health").json()
    assert health["status"] == "ok"
    assert health["documents"] >= 15 and health["chunks"] >= health["documents"]
    assert health["index_version"]
    with open_store(api_settings.db_path) as store:
        store.save_run("test-run-1", "nightly", "2026-11-23T02:00:00Z", "2026-11-23T02:10:00Z", True, {})
    run = client.get("/health").json()["last_nightly_run"]
    assert run["run_id"] == "test-run-1" and run["ok"] is True


def test_sort_by_date_is_honoured_and_an_unknown_sort_is_422(client) -> None:
    newest = client.get("/search", params={"q": "vård", "sort": "date", "k": 50}).json()
    dates = [r["published"] or "" for r in newest["results"]]
    assert len(dates) > 2 and dates == sorted(dates, reverse=True)
    assert newest["total"] == client.get("/search", params={"q": "vård", "k": 50}).json()["total"]
    assert client.get("/search", params={"q": "vård", "sort": "popularity"}).status_code == 422
