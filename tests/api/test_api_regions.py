""""Which regions address X" (`/regions`) on the demo corpus: right counties, with evidence."""

from __future__ import annotations

import json
from pathlib import Path

from fastapi.testclient import TestClient

AGREEMENT_RELEASE = "Nu förbättras stödet till personer med missbruk och psykisk funktionsnedsättning"


def _regions(client: TestClient, **params: str) -> dict:
    answer = client.get("/regions", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_gambling_addiction_lists_ostergotland_with_the_agreement_release(client: TestClient) -> None:
    body = _regions(client, q="gambling addiction")
    assert "gambling" in body["focus_areas"]
    counties = {c["code"]: c for c in body["counties"]}
    assert "05" in counties
    assert counties["05"]["name"] == "Östergötlands län"
    assert AGREEMENT_RELEASE in [e["title"] for e in counties["05"]["evidence"]]
    # the other counties with a gambling agreement or release are found too
    assert {"07", "12"} <= set(counties)


def test_every_listed_county_is_backed_by_evidence_strongest_first(client: TestClient) -> None:
    for question in ("gambling addiction", "psykisk hälsa", "kollektivtrafik", "suicide prevention"):
        body = _regions(client, q=question)
        strengths = [c["strength"] for c in body["counties"]]
        assert strengths == sorted(strengths, reverse=True), question
        for county in body["counties"]:
            assert county["evidence"], (question, county["code"])
            assert county["documents"] >= len(county["evidence"])
            for evidence in county["evidence"]:
                assert evidence["url"] and evidence["title"] and evidence["snippet"]


def test_a_topic_only_one_county_covers_lists_only_that_county(client: TestClient) -> None:
    body = _regions(client, q="kollektivtrafik och nya busslinjer")
    assert [c["code"] for c in body["counties"]] == ["03"]


def test_a_question_nothing_addresses_lists_no_county(client: TestClient) -> None:
    assert _regions(client, q="rymdforskning på månen")["counties"] == []


def test_focus_slug_instead_of_a_question(client: TestClient) -> None:
    body = _regions(client, focus="gambling")
    assert {"05", "07", "12"} <= {c["code"] for c in body["counties"]}
    unknown = client.get("/regions", params={"focus": "astrology"})
    assert unknown.status_code == 422 and "astrology" in unknown.json()["detail"]


def test_regions_without_a_question_lists_no_county_and_says_what_to_give(client: TestClient) -> None:
    for params in ({}, {"q": "   "}):
        answer = client.get("/regions", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert body["counties"] == [] and [n["parameter"] for n in body["notices"]] == ["q"]
        assert "focus" in body["notices"][0]["message"]


def test_precision_and_recall_on_the_labelled_questions(client: TestClient) -> None:
    """The labelled set of bench/eval_regions.py; floors sit a little under the measured
    1.0 precision / 0.94 recall so one borderline question does not make the suite flaky."""
    gold_path = Path(__file__).resolve().parents[1] / "fixtures" / "api" / "regions_gold.jsonl"
    gold = [json.loads(line) for line in gold_path.read_text(encoding="utf-8").splitlines() if line.strip()]
    listed = right = labelled = 0
    for item in gold:
        got = {c["code"] for c in _regions(client, q=item["q"])["counties"]}
        want = set(item["counties"])
        listed, right, labelled = listed + len(got), right + len(got & want), labelled + len(want)
        if not want:
            assert not got, item["q"]  # nothing addresses it: no county may be listed
    assert right / listed >= 0.9
    assert right / labelled >= 0.85
