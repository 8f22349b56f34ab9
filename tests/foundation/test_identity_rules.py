"""Each rule of identity has one home, and these are its cases.

How a URL is canonicalised, how a name is folded, how a county is resolved and which
county codes exist: every caller (crawler, store, search, API, CLI) uses the one function,
so what the crawler stores a page under is what the store finds it by.
"""

from __future__ import annotations

import pytest

from ingest.nlp import gazetteer
from regionsok.errors import QueryError
from regionsok.records import COUNTY_CODES
from regionsok.text import canonical_url, doc_id_for_url, fold
from search.regions import county_code


@pytest.mark.parametrize(("url", "canonical"), [
    ("HTTPS://Www.Region.SE/nyheter/a?b=2&a=1#top", "https://www.region.se/nyheter/a?a=1&b=2"),
    ("https://www.region.se:443/a", "https://www.region.se/a"),
    ("http://www.region.se:80/a", "http://www.region.se/a"),
    ("http://www.region.se:8080/a", "http://www.region.se:8080/a"),
    ("https://kommun.se/nyhet?utm_source=nl&utm_campaign=x&id=7", "https://kommun.se/nyhet?id=7"),
    ("https://kommun.se/nyhet?fbclid=1&gclid=2&msclkid=3&mc_cid=4&mc_eid=5", "https://kommun.se/nyhet"),
    ("https://kommun.se/nyhet;jsessionid=ABC123?id=7", "https://kommun.se/nyhet?id=7"),
    ("https://kommun.se/nyhet?PHPSESSID=zz&sid=1&id=7", "https://kommun.se/nyhet?id=7"),
    ("https://kommun.se", "https://kommun.se/"),
    ("  https://kommun.se/a  ", "https://kommun.se/a"),
    ("/tmp/överenskommelse.pdf", "/tmp/överenskommelse.pdf"),  # local paths pass through
])
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


def test_the_crawler_and_the_store_name_a_page_alike() -> None:
    """One page reached from a newsletter, a session and a listing is one document."""
    variants = [
        "https://www.region.se/nyheter/spel?sida=2&kategori=vard",
        "https://WWW.region.se:443/nyheter/spel;jsessionid=9?kategori=vard&sida=2&utm_medium=email",
        "https://www.region.se/nyheter/spel?kategori=vard&sida=2#kommentarer",
    ]
    assert len({doc_id_for_url(u) for u in variants}) == 1
    assert doc_id_for_url(variants[0]) != doc_id_for_url("https://www.region.se/nyheter/spel?sida=3&kategori=vard")


@pytest.mark.parametrize(("a", "b"), [("Åkesson", "akesson"), ("Östergötland", "OSTERGOTLAND"),
                                      ("  Anna   Lind ", "anna lind"), ("Müller", "muller")])
def test_fold(a: str, b: str) -> None:
    assert fold(a) == fold(b)


@pytest.mark.parametrize(("given", "code"), [
    ("05", "05"), ("5", "05"), ("Östergötland", "05"), ("ostergotland", "05"), ("Östergötlands län", "05"),
    ("Region Östergötland", "05"), ("Stockholm", "01"), ("Stockholms län", "01"), ("Region Skåne", "12"),
    ("Västra Götalandsregionen", "14"), ("västra götaland", "14"), ("Kalmar län", "08"), ("Region Gotland", "09"),
])
def test_a_county_is_resolved_from_a_code_or_any_of_its_names(given: str, code: str) -> None:
    assert county_code(given) == code


@pytest.mark.parametrize("given", ["02", "11", "15", "16", "26", "99", "00", "Atlantis", "", "Region"])
def test_only_the_21_real_counties_resolve(given: str) -> None:
    with pytest.raises(QueryError, match="unknown county"):
        county_code(given)


def test_the_county_codes_are_the_gazetteers() -> None:
    assert len(COUNTY_CODES) == 21
    assert tuple(sorted(gazetteer.counties())) == COUNTY_CODES
