"""The taxonomy and gazetteers other stages (search filters, region answers) rely on."""

from __future__ import annotations

import pytest

from ingest.nlp import extract_text, gazetteer
from ingest.nlp.taxonomy import load_taxonomy, parse_taxonomy
from regionsok.errors import ConfigError

FOCUS_AREAS = [
    "gambling", "substance_abuse", "mental_health", "suicide_prevention", "domestic_violence",
    "child_perspective", "comorbidity", "user_influence", "residential_treatment", "coordinated_care_plan",
    "primary_care", "sexual_abuse", "family_support", "housing_employment", "competence_development",
]
TARGET_GROUPS = [
    "people_with_substance_abuse", "people_with_mental_disability", "children_and_young_people", "elderly",
    "relatives", "complex_care_needs", "violence_victims", "vulnerable_eu_citizens", "staff_and_managers",
]


def test_taxonomy_has_the_fixed_slugs_with_both_languages() -> None:
    taxonomy = load_taxonomy()
    assert taxonomy.slugs("focus_area") == FOCUS_AREAS
    assert taxonomy.slugs("target_group") == TARGET_GROUPS
    for slug in FOCUS_AREAS + TARGET_GROUPS:
        concept = taxonomy[slug]
        assert concept.label_sv and concept.label_en and concept.synonyms_sv and concept.synonyms_en


@pytest.mark.parametrize(
    ("query", "slugs"),
    [
        ("which regions address gambling addiction", ["gambling"]),
        ("spelberoende", ["gambling"]),
        ("psykisk ohälsa och missbruk", ["substance_abuse", "mental_health"]),
        ("SIP", ["coordinated_care_plan"]),
        ("elderly with complex care needs", ["elderly", "complex_care_needs"]),
        ("budget för kollektivtrafik", []),
    ],
)
def test_queries_in_english_or_swedish_map_to_slugs(query: str, slugs: list[str]) -> None:
    assert load_taxonomy().match_query(query) == slugs


def test_english_query_expands_to_swedish_terms() -> None:
    terms = load_taxonomy().expand_query("gambling addiction")
    assert "spelberoende" in terms and "spel om pengar" in terms
    assert all("*" not in t for t in terms)


def test_synonyms_and_inflections_count_but_menus_do_not() -> None:
    text = (
        "Start | Psykisk hälsa | Suicidprevention | Kontakt\n\n"
        "Kommunen erbjuder behandling för spelmissbruket och stöd till anhöriga.\n\n"
        "Taggar: Samsjuklighet\nLäs mer om våld i nära relationer\n"
    )
    extraction = extract_text(text)
    assert extraction.focus_areas == ("gambling", "family_support")
    assert extraction.target_groups == ("relatives",)


def test_malformed_taxonomy_file_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        parse_taxonomy('{"concepts": [{"slug": "x", "kind": "nonsense"}]}')
    with pytest.raises(ConfigError):
        parse_taxonomy("not json")


def test_gazetteer_counties_kommuner_and_parties() -> None:
    counties = gazetteer.counties()
    assert len(counties) == 21 and counties["05"] == "Östergötlands län"
    assert gazetteer.region_name("14") == "Västra Götalandsregionen"
    kommuner = gazetteer.kommuner()
    assert len(kommuner) == 290 and all(code[:2] in counties for code in kommuner)
    assert gazetteer.normalize_party("(s)") == "S" and gazetteer.normalize_party("FP") == "L"
    assert gazetteer.normalize_party("(SKL)") is None
    with pytest.raises(ConfigError):
        gazetteer.region_name("99")


def test_a_passing_word_late_in_a_long_text_is_not_a_focus_area() -> None:
    body = ("Regionen bygger ut kollektivtrafiken med fler turer på landsbygden och nya busslinjer. " * 8
            + "Resenärer kan läsa om hjälp vid psykisk ohälsa på regionens webbplats.")
    assert "mental_health" not in extract_text("Fler bussar i länet\n\n" + body).focus_areas


def test_a_subject_stated_in_the_opening_or_recurring_is_a_focus_area() -> None:
    opening = "Kommunen satsar på suicidprevention i skolorna. " + "Arbetet sker med lärare och elever. " * 12
    recurring = ("Nämnden har gått igenom budgeten för året. " * 6 + "Stödet vid spelberoende ska byggas ut. "
                 + "Nämnden har gått igenom lokalerna. " * 6 + "Behandlingen av spelberoende blir gratis.")
    assert "suicide_prevention" in extract_text(opening).focus_areas
    assert "gambling" in extract_text(recurring).focus_areas


def test_english_texts_get_the_same_slugs() -> None:
    text = ("The region opens a new clinic for suicide prevention, where young people can get support "
            "within a week. The clinic works with schools and social services.")
    assert "suicide_prevention" in extract_text(text).focus_areas


def test_target_groups_named_in_compound_words() -> None:
    found = extract_text("Mottagningen tar emot unga med drogproblem och kvinnor som drabbats av våld i hemmet.")
    assert {"people_with_substance_abuse", "violence_victims"} <= set(found.target_groups)


def test_a_text_about_missbruk_is_about_people_with_missbruk() -> None:
    found = extract_text("Kommunen bygger ut missbruksvården med en ny öppenmottagning för alkohol och narkotika.")
    assert "substance_abuse" in found.focus_areas
    assert "people_with_substance_abuse" in found.target_groups
