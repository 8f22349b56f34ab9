"""People with party and role, and quotes: what a journalist asking "what did X (S) say" needs."""

from __future__ import annotations

from ingest.nlp import extract_text
from regionsok.records import Person


def _people(text: str) -> dict[str, Person]:
    return {p.name: p for p in extract_text(text).people}


def test_politician_with_party_and_role_in_a_quote_attribution() -> None:
    text = (
        "– Det är viktigt att ansvarsfördelningen är tydlig, säger Torbjörn Holmqvist (S), "
        "regionråd och ordförande i Samråd vård och omsorg.\n"
    )
    extraction = extract_text(text)
    assert extraction.people == (
        Person("Torbjörn Holmqvist", "S", "regionråd och ordförande i Samråd vård och omsorg"),
    )
    assert extraction.quotes[0].person == "Torbjörn Holmqvist"
    assert extraction.quotes[0].text == "Det är viktigt att ansvarsfördelningen är tydlig"


def test_title_before_the_name_is_the_role() -> None:
    people = _people("– Vi måste samarbeta mer, säger regionrådet Kerstin Sjöberg (C).\n")
    assert people["Kerstin Sjöberg"] == Person("Kerstin Sjöberg", "C", "regionrådet")


def test_lower_case_party_letters_are_normalised() -> None:
    text = "Beslutet togs av Anna Berg (m), Lars Ek (kd), Sara Lind (mp) och Per Ås (fp).\n"
    parties = {name: p.party for name, p in _people(text).items()}
    assert parties == {"Anna Berg": "M", "Lars Ek": "KD", "Sara Lind": "MP", "Per Ås": "L"}


def test_ten_politicians_in_one_release_are_all_found() -> None:
    lines = [
        "Ann-Sofie Alm (M), kommunalråd i Göteborg", "Ulf Olsson (S), kommunalråd i Borås",
        "Monica Neptun (L), kommunalråd i Trollhättan", "Peter Hermansson (S), kommunalråd i Uddevalla",
        "Katarina Andersson (S), kommunalråd i Skövde", "Kent Lundgren (C), kommunalråd i Mariestad",
        "Johan Abrahamsson (M), kommunalråd i Kungälv", "Elisabeth Mattsson (KD), kommunalråd i Alingsås",
        "Linda Jansson (MP), kommunalråd i Mölndal", "Daniel Bernmar (V), kommunalråd i Göteborg",
    ]
    people = extract_text("Vi som undertecknar:\n\n" + "\n".join(lines) + "\n").people
    assert [p.name for p in people] == [line.split(" (")[0] for line in lines]
    assert all(p.role and p.role.startswith("kommunalråd") for p in people)


def test_contact_block_people_without_party() -> None:
    text = (
        "För mer information\n"
        "Charlotta Johansson, processledare, Kunskap till praktik, tel. 036-10 74 24\n\n"
        "Presskontakt\nHelen Ulvegard, informationschef Regionförbundet, mobil 0705-36 28 09\n"
    )
    people = _people(text)
    assert people["Charlotta Johansson"] == Person("Charlotta Johansson", None, "processledare")
    assert people["Helen Ulvegard"].role == "informationschef Regionförbundet"


def test_organisations_and_sentence_starts_are_never_people() -> None:
    text = (
        "Region Skåne säger att väntetiderna ska kortas. Enligt Anna på mottagningen är köerna långa. "
        "Västra Götalandsregionen, Sveriges Kommuner och Landsting (SKL) och Hälso- och sjukvårdsnämnden "
        "deltog. Samråd Vård och Omsorg möts i maj.\n"
    )
    assert extract_text(text).people == ()


def test_misspelled_second_mention_is_the_same_person() -> None:
    text = (
        "– Vi satsar på vårdcentralerna, säger Ingela Gardner-Sundström (M), regionråd.\n\n"
        "Det var Ingela Gardner-Sundstrom (M) som tog initiativet.\n"
    )
    assert [p.name for p in extract_text(text).people] == ["Ingela Gardner-Sundström"]


def test_surname_that_is_a_kommun_does_not_add_its_county() -> None:
    extraction = extract_text("– Vi är nöjda, säger Karin Lund (S), kommunalråd i Örebro.\n")
    assert [p.name for p in extraction.people] == ["Karin Lund"]
    assert extraction.counties == ("18",)


def test_quotes_are_attributed_by_full_name_surname_and_pronoun() -> None:
    text = (
        "– Målet är att ingen ska vänta, säger Helena Proos (M), regionråd.\n\n"
        "– Vi gör det nu, säger Proos.\n\n"
        "– Och vi fortsätter, säger hon.\n\n"
        "”Det här är bra”, säger Karin Ek, projektledare.\n"
    )
    quotes = [(q.person, q.text) for q in extract_text(text).quotes]
    assert quotes == [
        ("Helena Proos", "Målet är att ingen ska vänta"), ("Helena Proos", "Vi gör det nu"),
        ("Helena Proos", "Och vi fortsätter"), ("Karin Ek", "Det här är bra"),
    ]


def test_party_words_and_office_lists() -> None:
    text = (
        "Socialdemokraten Irén Lejegren, regionråd, svarar. Även S-politikern Daniel Hill vill se mer.\n\n"
        "Ordförande: Anna-Lena Danielsson, S\nVice ordförande: Lars Bäckström, V\n"
    )
    parties = {p.name: p.party for p in extract_text(text).people}
    assert parties == {"Irén Lejegren": "S", "Daniel Hill": "S", "Anna-Lena Danielsson": "S", "Lars Bäckström": "V"}


def _names(text: str) -> dict[str, str | None]:
    return {p.name: p.party for p in extract_text(text).people}


def test_person_named_in_a_plain_sentence_without_party_or_title() -> None:
    names = _names("Kulturministern har gett Helena Bergvik i uppdrag att samordna arbetet.")
    assert "Helena Bergvik" in names


def test_coordinated_names_are_two_people() -> None:
    names = _names("Seminariet leddes av Tomas Ekdal och Sofia Runeberg från länsstyrelsen.")
    assert {"Tomas Ekdal", "Sofia Runeberg"} <= set(names)


def test_members_listed_with_party_in_words_and_a_title_after() -> None:
    names = _names(
        "Ledamöter\nKarl Wettergren Centerpartiet Ordförande\nLinnea Boström Moderata Samlingspartiet Ersättare\n"
        "Åsa Fjällström Socialdemokraterna Ledamot"
    )
    assert names == {"Karl Wettergren": "C", "Linnea Boström": "M", "Åsa Fjällström": "S"}


def test_signature_with_title_after_the_name_and_name_alone_on_a_line() -> None:
    names = _names("Beslutet expedieras.\nMonika Stenvall Socialchef\n\nPresskontakt\n    Johan Eklöf\n")
    assert {"Monika Stenvall", "Johan Eklöf"} <= set(names)


def test_capitalised_heading_words_are_not_people() -> None:
    assert _names("Anna Vård Och Omsorg\n\nTider och platser för vaccinering.") == {}


def test_photo_credits_are_not_people() -> None:
    assert "Jonas Fältström" not in _names("Foto: Jonas Fältström\n\nKommunen bygger en ny simhall.")


def test_party_tag_after_a_comma_and_party_under_a_signature() -> None:
    assert _names("För mer information:\n\nBirgitta Lönn, (M), nämndens ordförande") == {"Birgitta Lönn": "M"}
    signed = _names("Vad tänker majoriteten göra?\n\n  Olof Granström\n\n  Gruppledare\n\n  Vänsterpartiet Kumla")
    assert signed == {"Olof Granström": "V"}


def test_title_before_a_name_whose_first_name_is_rare() -> None:
    assert "Sigvor Ammelin" in _names("Frågor besvaras av nämndens sekreterare Sigvor Ammelin.")
