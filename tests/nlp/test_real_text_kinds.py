"""Kinds of error found on real public-sector pages, each as a case written for Regionsök.

The texts are invented; each stands for one kind of mistake the extraction made on real pages
(issue 11), judged by the rules in ../shared/LABELS.md.
"""

from __future__ import annotations

from datetime import date

import pytest

from ingest.nlp import extract_text
from ingest.published import find_published


def _orgs(text: str, title: str | None = None) -> set[str]:
    return set(extract_text(text, title=title).organisations)


# --- organisations -------------------------------------------------------------------------


def test_ministry_and_former_agency_are_organisations() -> None:
    text = (
        "Finansdepartementet har gett Statens folkhälsoinstitut i uppdrag att kartlägga "
        "spelandet bland unga i Jämtland.\n"
    )
    assert {"Finansdepartementet", "Statens folkhälsoinstitut"} <= _orgs(text)


def test_one_word_agency_in_lower_case_is_a_common_noun() -> None:
    text = "Grannen ringde polisen. Ett samarbete med försäkringskassan och skolan startade i Ludvika.\n"
    orgs = {o.casefold() for o in _orgs(text)}
    assert "polisen" not in orgs and "försäkringskassan" not in orgs


def test_capitalised_one_word_agency_is_still_found() -> None:
    assert "Polisen" in _orgs("Polisen och Kriminalvården startar ett gemensamt projekt i Luleå.\n")


def test_committee_named_by_its_remit_is_kept_whole() -> None:
    text = (
        "Förslaget bereds av utskottet för ekonomi, personal och digitalisering i maj.\n\n"
        "Beredningen för hälsa och välfärd i västra Dalarna har lämnat sin rapport.\n"
    )
    orgs = _orgs(text)
    assert "Utskottet för ekonomi, personal och digitalisering" in orgs
    assert "Beredningen för hälsa och välfärd i västra Dalarna" in orgs


def test_committee_words_followed_by_a_purpose_are_no_name() -> None:
    assert not any(o.startswith("Nämnden för") for o in _orgs("Nämnden för att samla in pengar saknas.\n"))


def test_body_with_its_acronym_in_brackets_is_named_as_written() -> None:
    text = (
        "Konferensen arrangerades av Region Gävleborg, Nätverket för stöd till unga "
        "anhöriga i Hälsingland (NSUAH) och Hudiksvalls kommun.\n"
    )
    assert "Nätverket för stöd till unga anhöriga i Hälsingland (NSUAH)" in _orgs(text)


def test_acronym_of_a_law_or_plan_is_no_organisation() -> None:
    text = "Alla barn ska erbjudas en samordnad individuell plan (SIP) enligt lagen om vård av unga (LVU).\n"
    assert _orgs(text) == set()


def test_acronym_spelled_out_after_it_is_one_organisation() -> None:
    text = "Planen godkänns sedan av den politiska gruppen SOS (Samverkan om stöd) varje år.\n"
    assert "SOS (Samverkan om stöd)" in _orgs(text)


def test_local_party_branch_is_named_as_written() -> None:
    text = (
        "Interpellation om suicidprevention\n\n"
        "Vi vill veta vad kommunen gör.\n\nEva Strand\n\nGruppledare\n\nVänsterpartiet Bollnäs\n"
    )
    orgs = _orgs(text)
    assert "Vänsterpartiet Bollnäs" in orgs and "Vänsterpartiet" not in orgs


def test_party_branch_in_a_region_is_named_as_written() -> None:
    text = "Välkommen till Moderaterna i Region Halland!\n\nVi har 20 mandat i regionfullmäktige.\n"
    assert "Moderaterna i Region Halland" in _orgs(text)


def test_unit_takes_the_place_it_serves_into_its_name() -> None:
    text = (
        "Psykiatriska kliniken i Sunderbyn behöver fler platser. "
        "Barncentrum i Kiruna öppnar i höst.\n"
    )
    orgs = _orgs(text)
    assert {"Psykiatriska kliniken i Sunderbyn", "Barncentrum i Kiruna"} <= orgs


def test_bare_kommuner_in_a_relative_clause_act() -> None:
    text = (
        "Minst satsade kommunerna Arjeplog och Sorsele, som båda lägger under en procent på "
        "missbruksvården. Mest lägger Skellefteå och Umeå, som också har egna behandlingshem.\n"
    )
    assert {"Arjeplog", "Sorsele", "Skellefteå", "Umeå"} <= _orgs(text)


def test_bare_kommun_as_a_place_is_no_organisation() -> None:
    text = "En ny mottagning öppnar i Piteå som blir en bas för hela länet.\n"
    assert "Piteå" not in _orgs(text)


def test_source_cited_only_for_a_statistic_is_left_out() -> None:
    text = (
        "Region Kalmar län satsar på psykiatrin. Kostnaderna har ökat, visar statistik från "
        "Socialstyrelsen. Enligt Folkhälsomyndigheten mår fler unga sämre.\n"
    )
    orgs = _orgs(text)
    assert "Region Kalmar län" in orgs
    assert "Socialstyrelsen" not in orgs and "Folkhälsomyndigheten" not in orgs


def test_body_named_only_in_the_page_title_is_left_out() -> None:
    text = "Ledamöterna diskuterade budgeten för kollektivtrafiken i två timmar.\n"
    assert "Regionfullmäktige" not in _orgs(text, title="Regionfullmäktige: budgetdebatt")


def test_owned_committee_is_named_once_in_full() -> None:
    text = (
        "Pressinformation från Region Hallands kulturnämnd.\n\n"
        "Kulturnämnden sammanträder på torsdag. Kulturnämnden är Region Hallands facknämnd för kultur.\n"
    )
    orgs = {o.casefold() for o in _orgs(text)}
    assert "region hallands kulturnämnd" in orgs
    assert "kulturnämnden" not in orgs and "region hallands facknämnd" not in orgs


def test_audit_firm_that_writes_the_report_is_an_organisation() -> None:
    assert "KPMG" in _orgs("Revisionsrapport\n\nKPMG har på uppdrag av Region Dalarna granskat psykiatrin.\n")


# --- focus areas and target groups ---------------------------------------------------------


def _concepts(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    extraction = extract_text(text)
    return extraction.focus_areas, extraction.target_groups


_FILLER = (
    "Regionstyrelsen har också diskuterat lokalfrågor, en ny parkeringsplats vid sjukhuset, "
    "budgeten för kollektivtrafiken och hur kontoren ska användas under nästa år. "
) * 3


def test_passing_word_for_a_group_in_a_long_text_is_no_target_group() -> None:
    text = (
        "Kommunen bygger om tillnyktringsenheten för personer med alkoholproblem.\n\n"
        + _FILLER
        + "Ordföranden berättade om kvinnor, män och barns erfarenheter av vården.\n\n"
        + _FILLER
    )
    _, groups = _concepts(text)
    assert "children_and_young_people" not in groups


def test_group_a_measure_is_for_counts_once_named() -> None:
    text = (
        "Kommunen bygger om tillnyktringsenheten för personer med alkoholproblem.\n\n"
        + _FILLER
        + "Bland åtgärderna finns kurser, bland annat till barn och unga i riskzonen.\n\n"
        + _FILLER
    )
    _, groups = _concepts(text)
    assert "children_and_young_people" in groups


@pytest.mark.parametrize(
    "sentence",
    [
        "Det är en av anledningarna till att kommunen idag har problem med missbruk bland unga.",
        "Det är ett lidande som är tungt för den drabbade och dess anhöriga.",
    ],
)
def test_reason_clause_or_pronoun_after_for_names_no_target_group(sentence: str) -> None:
    text = "Kommunen bygger om tillnyktringsenheten för personer med alkoholproblem.\n\n" + _FILLER + sentence + "\n\n" + _FILLER
    _, groups = _concepts(text)
    assert "children_and_young_people" not in groups and "relatives" not in groups


def test_title_of_office_names_no_target_group() -> None:
    text = (
        "Ministern besökte beroendemottagningen\n\n"
        "I dag besökte barn-, äldre- och jämställdhetsministern beroendemottagningen i Gävle, "
        "som behandlar personer med alkoholberoende.\n"
    )
    _, groups = _concepts(text)
    assert "children_and_young_people" not in groups and "elderly" not in groups


def test_psychiatry_named_as_a_partner_is_no_focus_area() -> None:
    text = (
        "Ny mottagning för unga med missbruk\n\n"
        "Mottagningen för unga med missbruk startar i samverkan med socialtjänst, "
        "vuxenpsykiatri och skola. I teamet ingår även en läkare från rättspsykiatrin.\n"
    )
    areas, _ = _concepts(text)
    assert "substance_abuse" in areas and "mental_health" not in areas


def test_comorbidity_is_also_substance_abuse_and_mental_health() -> None:
    areas, _ = _concepts("Länet inför en ny vårdkedja vid samsjuklighet för vuxna.\n")
    assert {"comorbidity", "substance_abuse", "mental_health"} <= set(areas)


def test_psychosocial_is_not_psychosis() -> None:
    areas, _ = _concepts("Skolan erbjuder psykosocialt stöd till elever som har haft en jobbig termin.\n")
    assert "mental_health" not in areas


def test_placed_children_are_residential_treatment() -> None:
    text = (
        "Riktlinjer för placerade barn och unga\n\n"
        "Socialnämnden beslutar om nya riktlinjer när barn placeras i familjehem.\n"
    )
    areas, groups = _concepts(text)
    assert "residential_treatment" in areas and "children_and_young_people" in groups


def test_supported_housing_as_a_placement_form_is_not_housing_support() -> None:
    text = (
        "Ungdomar i placeringsformen stödboende\n\n"
        "Riktlinjerna gäller ungdomar i placeringsformen stödboende.\n"
    )
    areas, _ = _concepts(text)
    assert "housing_employment" not in areas


def test_recruiting_staff_is_not_competence_development() -> None:
    text = "Interpellation om kompetensförsörjningen av sjuksköterskor på akuten i Falun.\n"
    areas, _ = _concepts(text)
    assert "competence_development" not in areas


def test_family_support_offered_to_families() -> None:
    text = "Mottagningen ska erbjuda unga och deras familjer ett samlat stöd vid missbruk.\n"
    areas, _ = _concepts(text)
    assert "family_support" in areas


def test_focus_area_that_a_measure_is_for_counts_once_named() -> None:
    text = (
        "Länsöverenskommelse om vuxna med missbruk\n\n" + _FILLER
        + "Ansvarig verksamhet: vård och stöd vid spelberoende ges av socialtjänsten.\n\n" + _FILLER
    )
    areas, _ = _concepts(text)
    assert "gambling" in areas


def test_focus_area_named_once_in_passing_does_not_count() -> None:
    text = (
        "Länsöverenskommelse om vuxna med missbruk\n\n" + _FILLER
        + "Någon nämnde spelberoende under fikat.\n\n" + _FILLER
    )
    areas, _ = _concepts(text)
    assert "gambling" not in areas


def test_compound_naming_young_people_is_the_target_group() -> None:
    _, groups = _concepts("Socialtjänsten i Kalix arbetar med riskungdomar och deras föräldrar mot missbruk.\n")
    assert "children_and_young_people" in groups


def test_table_of_contents_lists_what_a_plan_covers() -> None:
    text = (
        "Regional handlingsplan\n\n" + _FILLER + "\n\nInnehåll\n"
        "Bakgrund 3\nVård vid spelberoende 7\nSamordnad individuell plan 9\nUppföljning 12\n"
    )
    areas, _ = _concepts(text)
    assert {"gambling", "coordinated_care_plan"} <= set(areas)


# --- roles and dates ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "– Vi är nöjda, säger Lena Ek (C), ordförande i hälso– och sjukvårdsnämnden.\n",
        "– Vi är nöjda, säger Lena Ek (C), ordförande i hälso-\noch sjukvårdsnämnden.\n",
        "– Vi är nöjda, säger Lena Ek, C, ordförande i hälso- och sjukvårdsnämnden.\n",
        "Ordförande i hälso- och sjukvårdsnämnden: Lena Ek (C)\n",
    ],
)
def test_role_is_not_cut_at_a_compound_written_in_parts(text: str) -> None:
    (person,) = extract_text(text).people
    assert person.name == "Lena Ek" and person.party == "C"
    assert person.role is not None and person.role.replace("–", "-").casefold() == (
        "ordförande i hälso- och sjukvårdsnämnden"
    )


def test_role_before_a_name_keeps_its_capitalised_first_word() -> None:
    (person,) = extract_text("Socialnämndens ordförande Per Lund (M) tfn 070-111 22 33\n").people
    assert person.role == "Socialnämndens ordförande"


def test_minister_title_of_coordinated_compounds_is_kept_whole() -> None:
    (person,) = extract_text("Det säger barn-, äldre- och jämställdhetsminister Åsa Regnér i dag.\n").people
    assert person.role == "barn-, äldre- och jämställdhetsminister"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("12 maj 2021 Region Västmanland har i dag fattat beslut om en ny mottagning för unga vuxna.", date(2021, 5, 12)),
        ("Den 3 mars 2020 beslutade regionstyrelsen att satsa fyrtio miljoner kronor på psykiatrin i länet.",
         date(2020, 3, 3)),
        ("2019-11-12: Kommunen har i dag beslutat att bygga ett nytt stödboende i centrala Sala för vuxna.",
         date(2019, 11, 12)),
    ],
)
def test_plain_text_that_opens_with_a_date_is_published_then(text: str, expected: date) -> None:
    assert find_published(text) == expected


def test_date_inside_a_long_opening_sentence_is_no_publication_date() -> None:
    text = "Kommunen har länge arbetat med frågan och den 3 mars 2020 beslutade nämnden att gå vidare med planen."
    assert find_published(text) is None


def _dates(text: str) -> tuple[str, ...]:
    return extract_text(text).dates


def test_month_alone_takes_the_datelines_year() -> None:
    text = "Publicerad 3 oktober 2018\n\nI april i år startade kommunen en ny mottagning. Den har varit öppen sedan mitten av maj.\n"
    assert {"2018-04", "2018-05"} <= set(_dates(text))


def test_month_alone_without_a_dateline_is_left_out() -> None:
    assert _dates("I april startade kommunen en ny mottagning för unga.\n") == ()


def test_day_and_month_in_figures_take_the_datelines_year() -> None:
    text = "2021-03-02\n\nÄrendet beslutas på mötet med regionstyrelsen den 24/3.\n"
    assert "2021-03-24" in _dates(text)


def test_revision_years_of_an_agreement_count() -> None:
    text = "Överenskommelse om missbruksvård\nGiltig: 2015-01-01 – 2025-12-31 | Reviderad: 2017, 2019 och 2023 |\n"
    assert {"2017", "2019", "2023"} <= set(_dates(text))


def test_decided_or_started_year_before_the_dateline_counts() -> None:
    text = "2022-05-10\n\nHandlingsplanen antogs 2020 och arbetet påbörjas under 2021 i hela länet.\n"
    assert {"2020", "2021"} <= set(_dates(text))


def test_background_year_before_the_dateline_is_still_left_out() -> None:
    text = "2022-05-10\n\nUnder 2019 ökade antalet anmälningar med tio procent.\n"
    assert "2019" not in _dates(text)


# --- people ---------------------------------------------------------------------------------


def _names(text: str) -> set[str]:
    return {p.name for p in extract_text(text).people}


def test_names_under_a_contact_heading_are_people() -> None:
    text = "Regionen satsar på kollektivtrafiken.\n\nKontakter\n\n    Zlata Horvat\n\n    Presskontakt 070-000 00 00\n"
    assert "Zlata Horvat" in _names(text)


def test_strong_title_before_an_unlisted_first_name_is_evidence() -> None:
    assert "Behrang Kianzad" in _names("Konferensen öppnades av\n\nJustitieminister Behrang Kianzad\n\nsom talade om spel.\n")


def test_title_word_after_a_name_is_not_part_of_the_name() -> None:
    text = "Kontakt för journalister\n\nSigrid Lund Administrativ sekreterare Region Jämtland Härjedalen 063-00 00 00\n"
    assert "Sigrid Lund" in _names(text)


def test_name_cut_off_by_the_end_of_an_excerpt_is_left_out() -> None:
    text = "Nämnden sammanträder i Kalmar. " * 8 + "Sekreterare\n\nBirgitta Johanss"
    assert not any(n.startswith("Birgitta") for n in _names(text))


def test_clinic_named_with_its_town_is_one_organisation_not_a_person() -> None:
    text = (
        "Region Örebro län och Örebro kommun förlänger avtalet för Maria Ungdom Örebro.\n\n"
        "Verksamheten vid Maria Ungdom har tagit emot 400 unga i år.\n"
    )
    extraction = extract_text(text)
    assert "Maria Ungdom Örebro" in extraction.organisations and "Maria Ungdom" not in extraction.organisations
    assert not any(p.name.startswith("Maria Ungdom") for p in extraction.people)


# --- kind -----------------------------------------------------------------------------------


def test_summary_of_a_board_meeting_in_a_compound_is_a_decision() -> None:
    from ingest.kind import classify_kind

    text = "Uppsnabbat kommunstyrelsen 4 mars 2021\n\nKommunstyrelsen beslutade i dag om en ny plan.\n"
    assert classify_kind(text, title="Uppsnabbat kommunstyrelsen 4 mars 2021") == "decision"


def test_minutes_with_one_paragraph_and_their_furniture_are_a_decision() -> None:
    from ingest.kind import classify_kind

    text = (
        "• Ordförande Eva Ek (S) förklarar sammanträdet öppnat.\n\n • Upprop förrättas.\n\n"
        " • § 12\n\n  Val av justerare\n"
    )
    assert classify_kind(text, title="Kommunfullmäktige: motioner") == "decision"


def test_news_item_that_mentions_a_paragraph_is_a_web_page() -> None:
    from ingest.kind import classify_kind

    text = "Nyhet\n\nEnligt § 5 i lagen ska kommunen erbjuda stöd. Justeringen av taxan sker i maj.\n"
    assert classify_kind(text, title="Nytt stöd till anhöriga") == "web_page"
