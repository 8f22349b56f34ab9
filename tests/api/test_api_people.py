"""`/people`: a person's parties, roles, documents and quotes, found however the name is typed."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

OSTERGOTLAND_RELEASES = {
    "Nu förbättras stödet till personer med missbruk och psykisk funktionsnedsättning",
    "Stärker primärvården med 30 miljoner",
}


def _people(client: TestClient, name: str) -> list[dict]:
    answer = client.get("/people", params={"name": name})
    assert answer.status_code == 200, answer.text
    return list(answer.json()["people"])


def test_holmqvist_has_both_ostergotland_releases_party_and_both_roles(client: TestClient) -> None:
    person = _people(client, "Torbjörn Holmqvist")[0]
    assert person["name"] == "Torbjörn Holmqvist"
    assert {d["title"] for d in person["documents"]} == OSTERGOTLAND_RELEASES
    assert person["parties"] == ["S"]
    roles = " | ".join(person["roles"]).lower()
    assert len(person["roles"]) == 2
    assert "regionråd" in roles and "hälso- och sjukvårdsnämndens ordförande" in roles
    quotes = [d["quote"] for d in person["documents"]]
    assert any(q and "Individen måste komma i första hand" in q for q in quotes)


@pytest.mark.parametrize("typed", ["Åkesson", "Akesson", "Åkersson", "maria akesson", "ÅKESSON"])
def test_names_are_found_despite_case_diacritics_and_small_misspellings(client: TestClient, typed: str) -> None:
    people = _people(client, typed)
    assert people and people[0]["name"] == "Maria Åkesson", typed
    assert people[0]["parties"] == ["M"]


def test_quotes_are_the_sentences_attributed_to_the_person(client: TestClient) -> None:
    person = _people(client, "Maria Åkesson")[0]
    quotes = [q for d in person["documents"] for q in d["quotes"]]
    assert any("Spelberoende förstör liv" in q for q in quotes)
    assert not any("Individen måste komma" in q for q in quotes)  # Holmqvist's words, not hers


def test_a_different_name_is_not_matched(client: TestClient) -> None:
    assert all(p["name"] != "Maria Åkesson" for p in _people(client, "Andersson"))
    assert _people(client, "Zlatan Ibrahimović") == []


def test_empty_or_overlong_names_are_422(client: TestClient) -> None:
    assert client.get("/people", params={"name": ""}).status_code == 422
    long = client.get("/people", params={"name": "a" * 201})
    assert long.status_code == 422 and "name" in long.json()["detail"]
    assert client.get("/people", params={"name": "   "}).status_code == 422
    no_letters = client.get("/people", params={"name": "!!!"})
    assert no_letters.status_code == 200 and no_letters.json()["people"] == []
    assert no_letters.json()["notices"][0]["parameter"] == "name"
