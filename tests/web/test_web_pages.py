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
    assert "Det finns inget län som heter ”Atlantis”" in page.text and "Traceback" not in page.text
    assert "county:" not in page.text and "unknown county" not in page.text


def test_clear_filters_is_a_label_and_a_link_back_to_the_bare_query(web_client: TestClient) -> None:
    page = web_client.get("/", params=[("q", "spelberoende"), ("county", "07")]).text
    assert '<a href="?q=spelberoende" id="clear-filters">Rensa filter</a>' in page
    assert "built-in method" not in page


def test_focus_areas_kinds_and_counties_have_display_names_in_both_languages(web_client: TestClient) -> None:
    sv = web_client.get("/", params={"q": "spelberoende"}).text
    assert "Spel om pengar" in sv and "Pressmeddelande" in sv and "Östergötlands län" in sv
    assert 'data-value="press_release"' in sv and ">press_release<" not in sv
    en = web_client.get("/", params={"q": "spelberoende", "ui": "en"}).text
    assert '<html lang="en">' in en and "Gambling" in en and "Press release" in en and "Östergötland County" in en


def test_language_choice_sticks_in_a_cookie_until_changed(web_client: TestClient) -> None:
    web_client.cookies.clear()
    try:
        chosen = web_client.get("/regioner", params={"ui": "en"})
        assert chosen.cookies.get("regionsok_ui") == "en"
        later = web_client.get("/", params={"q": "psykisk hälsa"}).text  # a Swedish query
        assert '<html lang="en">' in later and 'id="lang-switch"' in later and ">Svenska<" in later
        back = web_client.get("/", params={"q": "psykisk hälsa", "ui": "sv"})
        assert '<html lang="sv">' in back.text and back.cookies.get("regionsok_ui") == "sv"
    finally:
        web_client.cookies.clear()


def test_every_page_has_a_heading_a_skip_link_a_labelled_input_and_current_nav(web_client: TestClient) -> None:
    for path, params, nav in (("/", {"q": "spelberoende"}, "nav-search"), ("/regioner", {"q": "spelberoende"}, "nav-regions"),
                              ("/personer", {"name": "Holmqvist"}, "nav-people"), ("/", {}, "nav-search")):
        page = web_client.get(path, params=params).text
        assert page.count("<h1") == 1, path
        assert 'class="skip-link" href="#main"' in page and 'id="main"' in page
        assert f'id="{nav}" aria-current="page"' in page
        assert '<label for="q">' in page or '<label for="name">' in page
    document = web_client.get("/dokument/skane-spel-2024").text
    assert document.count("<h1") == 1 and "<script>" not in document and "onclick" not in document


def test_two_counties_combine_and_years_come_in_order_with_bars(web_client: TestClient) -> None:
    page = web_client.get("/", params=[("q", "spelberoende"), ("county", "05"), ("county", "07")]).text
    assert page.count('class="facet-link active"') == 2
    titles = [line for line in page.splitlines() if 'class="hit-title"' in line]
    assert titles and not any("Skåne" in line for line in titles)
    years = [y for y in (line.split('data-value="')[1][:4] for line in page.split("\n")
                         if 'data-value="' in line and 'data-facet' not in line) if y.isdigit() and y.startswith("20")]
    assert years == sorted(years) and years
    assert 'class="bar"' in page


def test_page_two_numbering_continues(web_client: TestClient) -> None:
    page = web_client.get("/", params={"q": "spelberoende", "k": "2", "page": "2"}).text
    assert '<ol class="hits" start="3">' in page and 'id="prev-page"' in page


def test_snippets_mark_the_query_words(web_client: TestClient) -> None:
    page = web_client.get("/", params={"q": "spelberoende"}).text
    assert "<mark>spelberoende" in page.lower()


def test_document_page_marks_the_passage_and_links_back(web_client: TestClient) -> None:
    page = web_client.get("/dokument/skane-spel-2024", params={"q": "spelberoende", "from": "q=spelberoende&county=12"}).text
    assert '<h1 class="doc-title">Ny satsning mot spelberoende bland unga i Skåne</h1>' in page
    assert "<mark>" in page and 'id="back-link"' in page and 'href="/?q=spelberoende&amp;county=12"' in page
    assert 'id="source-link"' in page and "hämtad" in page and page.count("<p>") >= 2


def test_missing_documents_and_unknown_paths_get_a_404_page(web_client: TestClient) -> None:
    html = {"accept": "text/html"}
    for path in ("/dokument/nope", "/no/such/page"):
        page = web_client.get(path, headers=html)
        assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
        assert "<h1>Sidan finns inte</h1>" in page.text
    api = web_client.get("/no/such/page", headers={"accept": "application/json"})
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/json")
    assert web_client.get("/static/style.css").status_code == 200


def test_regions_map_has_all_counties_linking_to_their_results_and_a_csv(web_client: TestClient) -> None:
    page = web_client.get("/regioner", params={"q": "spelberoende"}).text
    assert page.count('class="tile step') == 21
    assert 'href="/?q=spelberoende&amp;county=05" class="tile step' in page
    assert 'class="tile step0" data-county="25"' in page  # Norrbotten has no evidence in the demo corpus
    csv_text = web_client.get("/regioner.csv", params={"q": "spelberoende"}).text
    assert csv_text.lstrip("\ufeff").startswith("county_code,county,documents,evidence_urls")
    assert "05,Östergötlands län," in csv_text


def test_person_view_has_an_export_source_links_and_counties_per_role(web_client: TestClient) -> None:
    page = web_client.get("/personer", params={"name": "Torbjörn Holmqvist"}).text
    assert 'class="person-export" href="/export/search.csv?q=Torbj%C3%B6rn+Holmqvist&amp;person=' in page
    # The fixture corpus was ingested from files: a file:// source is shown as text, never as a link.
    assert 'class="source-text">file://' in page and 'href="file:' not in page
    assert 'class="role-counties"' in page and "hälso- och sjukvårdsnämndens ordförande: " in page


def test_feed_is_atom_newest_first_and_linked_from_the_page(web_client: TestClient) -> None:
    from xml.etree import ElementTree as ET

    page = web_client.get("/", params=[("q", "spelberoende"), ("county", "05")]).text
    assert 'id="feed-link" href="/feed?q=spelberoende&amp;county=05"' not in page  # attribute order below
    assert 'href="/feed?q=spelberoende&amp;county=05" id="feed-link"' in page
    feed = web_client.get("/feed", params={"q": "spelberoende"})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.content)
    atom = "{http://www.w3.org/2005/Atom}"
    assert root.tag == f"{atom}feed" and root.find(f"{atom}id") is not None and root.find(f"{atom}updated") is not None
    entries = root.findall(f"{atom}entry")
    assert len(entries) >= 3
    updated = [e.findtext(f"{atom}updated") for e in entries]
    assert updated == sorted(updated, reverse=True)
    for entry in entries:
        assert entry.findtext(f"{atom}title") and entry.findtext(f"{atom}id", "").startswith("http")
    assert web_client.get("/feed", params={"q": "vård", "county": "Atlantis"}).status_code == 422


def test_date_range_narrows_the_results_and_a_reversed_range_is_explained(web_client: TestClient) -> None:
    everything = web_client.get("/", params={"q": "spelberoende"}).text
    narrowed = web_client.get("/", params={"q": "spelberoende", "since": "2024-01-01", "until": "2024-12-31"}).text
    assert 'id="since" name="since" value="2024-01-01"' in narrowed
    total = int(everything.split('<span id="total">')[1].split("<")[0])
    total_2024 = int(narrowed.split('<span id="total">')[1].split("<")[0])
    assert 0 < total_2024 < total
    dates = [chunk.split("<")[0] for chunk in narrowed.split('<span class="date">Publicerad ')[1:]]
    assert dates and all(d.startswith("2024") for d in dates)
    reversed_range = web_client.get("/", params={"q": "spelberoende", "since": "2025-01-01", "until": "2024-01-01"})
    assert reversed_range.status_code == 422 and "Från-datumet (2025-01-01) ligger efter till-datumet" in reversed_range.text
    english = web_client.get("/", params={"q": "vård", "county": "Atlantis", "ui": "en"}).text
    assert "There is no county called “Atlantis”." in english


def test_each_stored_version_has_a_page_and_a_later_one_shows_its_changes(web_client: TestClient) -> None:
    from api.routes.web import version_diff

    document = web_client.get("/dokument/skane-spel-2024").text
    assert 'href="/dokument/skane-spel-2024/version/1">version 1</a>' in document
    first = web_client.get("/dokument/skane-spel-2024/version/1").text
    assert "<h1>Ny satsning mot spelberoende bland unga i Skåne" in first and "satsning" in first
    assert web_client.get("/dokument/skane-spel-2024/version/99", headers={"accept": "text/html"}).status_code == 404
    changes = version_diff("Första stycket.\n\nGammalt belopp: 2 miljoner.", "Första stycket.\n\nNytt belopp: 3 miljoner.")
    assert changes == [("same", "Första stycket."), ("removed", "Gammalt belopp: 2 miljoner."),
                       ("added", "Nytt belopp: 3 miljoner.")]


def test_a_mistyped_parameter_is_a_422_naming_it_not_an_unfiltered_search(web_client) -> None:
    page = web_client.get("/", params={"q": "spelberoende", "countie": "05"})
    assert page.status_code == 422
    assert "countie" in page.text and 'class="hit"' not in page.text
    english = web_client.get("/", params={"q": "spelberoende", "countie": "05", "ui": "en"})
    assert "unknown parameter" in english.text and "countie" in english.text
    assert web_client.get("/", params={"q": "spelberoende", "county": "05", "sort": "date"}).status_code == 200


def test_regions_and_person_pages_name_a_mistyped_parameter(web_client) -> None:
    regions = web_client.get("/regioner", params={"q": "spelberoende", "fokus": "gambling"})
    people = web_client.get("/personer", params={"namn": "Holmqvist"})
    assert regions.status_code == people.status_code == 422
    assert "fokus" in regions.text and "namn" in people.text
