"""The server-rendered pages (without a browser): language, facets, tables, errors."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_home_page_is_swedish_with_a_search_box(web_client: TestClient) -> None:
    page = web_client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert '<html lang="sv">' in page.text
    assert 'name="q"' in page.text and "Vilka regioner" in page.text


def test_swedish_query_gets_swedish_results_with_facets_and_export_links(web_client: TestClient) -> None:
    page = web_client.get("/", params={"q": "spelberoende"}).text
    assert '<html lang="sv">' in page and "träffar" in page
    assert "Ny satsning mot spelberoende bland unga i Skåne" in page
    assert 'data-facet="county"' in page and "Skåne län" in page
    assert "/export/search.csv?q=spelberoende" in page


def test_english_query_gets_an_english_interface(web_client: TestClient) -> None:
    page = web_client.get("/", params={"q": "gambling addiction"}).text
    assert '<html lang="en">' in page and "results" in page and "Which regions" in page


def test_facet_link_filters_the_results(web_client: TestClient) -> None:
    page = web_client.get("/", params=[("q", "spelberoende"), ("county", "07")]).text
    assert "Överenskommelse om samverkan kring spelberoende" in page
    assert "Ny satsning mot spelberoende bland unga i Skåne" not in page
    assert 'class="facet-link active"' in page


def test_regions_view_is_a_county_table_with_evidence(web_client: TestClient) -> None:
    page = web_client.get("/regioner", params={"q": "spelberoende"}).text
    assert 'id="regions-table"' in page
    assert 'data-county="05"' in page and "Östergötlands län" in page


def test_person_view_shows_parties_roles_and_quotes(web_client: TestClient) -> None:
    page = web_client.get("/personer", params={"name": "torbjorn holmqvist"}).text
    assert "Torbjörn Holmqvist" in page and "Stärker primärvården med 30 miljoner" in page
    assert "hälso- och sjukvårdsnämndens ordförande" in page
    assert "Individen måste komma i första hand" in page


def test_document_page_and_unknown_document(web_client: TestClient) -> None:
    page = web_client.get("/dokument/skane-spel-2024")
    assert page.status_code == 200 and "Maria Åkesson" in page.text
    assert web_client.get("/dokument/nope").status_code == 404


def test_bad_input_is_explained_on_the_page(web_client: TestClient) -> None:
    page = web_client.get("/", params={"q": "vård", "county": "Atlantis"})
    assert page.status_code == 422
    assert "unknown county" in page.text and "Traceback" not in page.text
