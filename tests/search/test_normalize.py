"""Swedish normalisation for the keyword index: inflections and compounds match."""

from __future__ import annotations

import pytest

from search.hybrid import detect_query_language
from search.normalize import normalize, query_terms


def _terms(text: str) -> set[str]:
    return set(normalize(text).split())


@pytest.mark.parametrize(
    "forms",
    [
        ("spelberoende", "spelberoendet"),
        ("överenskommelse", "överenskommelsen", "överenskommelser", "överenskommelserna"),
        ("primärvård", "primärvården"),
        ("kommun", "kommunen", "kommuner", "kommunerna"),
    ],
)
def test_inflected_forms_normalise_to_one_term(forms: tuple[str, ...]) -> None:
    first = normalize(forms[0]).split()[0]
    for form in forms[1:]:
        assert normalize(form).split()[0] == first, form


def test_compounds_are_indexed_with_their_parts() -> None:
    assert query_terms("självmord")[0][0] in _terms("självmordsförebyggande åtgärder")
    assert query_terms("beroende")[0][0] in _terms("spelberoende")


def test_prefixes_are_not_mistaken_for_compound_heads() -> None:
    assert "över" not in _terms("överenskommelse")
    assert "miss" not in _terms("missbruk")


def test_stopwords_are_not_indexed() -> None:
    assert normalize("och i att det som på") == ""


@pytest.mark.parametrize(
    ("query", "language"),
    [
        ("gambling addiction", "en"),
        ("primary care funding", "en"),
        ("spelberoende", "sv"),
        ("självmordsförebyggande", "sv"),
        ("vård i hemmet för äldre", "sv"),
        ("suicide prevention", "en"),
    ],
)
def test_short_queries_get_their_language(query: str, language: str) -> None:
    assert detect_query_language(query) == language


def test_snippets_skip_contact_lines_and_site_notices() -> None:
    from search.hybrid import make_snippet

    text = ("Kontakt: Lena Ek, telefon 0490-12 34 56, lena.ek@region.example. "
            "Regionen öppnar en mottagning för spelberoende i Västervik. "
            "Webbplatsen fungerar bäst i en modern webbläsare; vi använder kakor.")
    snippet = make_snippet(text, "", ["spelberoend"], width=80)
    assert "spelberoende" in snippet
    assert "0490" not in snippet and "@" not in snippet and "webbläsare" not in snippet
