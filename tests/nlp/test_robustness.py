"""Odd input never crashes extraction and gives a sensible, mostly empty result."""

from __future__ import annotations

from ingest.nlp import PIPELINE_VERSION, NlpInput, extract_many, extract_text


def test_empty_text_gives_an_empty_extraction() -> None:
    for text in ("", "   \n\n\t  "):
        extraction = extract_text(text)
        assert extraction.kind == "web_page"
        assert extraction.to_json() == {
            "kind": "web_page", "counties": [], "organisations": [], "people": [], "quotes": [], "dates": [],
            "amounts": [], "focus_areas": [], "target_groups": [],
        }
        assert extraction.pipeline_version == PIPELINE_VERSION


def test_english_text_gets_the_slugs_by_its_english_words() -> None:
    text = (
        "Region Stockholm is responsible for healthcare in Stockholm County. We work with mental health, "
        "addiction care and suicide prevention together with the municipalities. The region also says "
        "that the waiting times for children are too long.\n"
    )
    extraction = extract_text(text)
    # LABELS.md: English texts get the same slugs when they address the topic.
    assert set(extraction.focus_areas) == {"mental_health", "substance_abuse", "suicide_prevention"}
    assert extraction.people == () and extraction.quotes == ()
    assert extraction.counties == ("01",)


def test_text_without_swedish_letters_or_words() -> None:
    for text in ("1234 5678 !!! ### *** 999-999", "lorem ipsum dolor sit amet " * 50, "\x00\x01 \ufffd\ufffd"):
        extraction = extract_text(text)
        assert extraction.people == () and extraction.counties == () and extraction.focus_areas == ()


def test_one_megabyte_of_text_is_extracted() -> None:
    paragraph = (
        "Region Skåne och länets kommuner arbetar mot spelberoende. – Vi gör mer, säger Anna Svensson (S), "
        "regionråd. Beslutet togs den 3 mars 2020 och kostar 2 miljoner kronor.\n\n"
    )
    text = paragraph * (1_000_000 // len(paragraph) + 1)
    assert len(text) >= 1_000_000
    extraction = extract_text(text)
    assert extraction.counties == ("12",)
    assert [p.name for p in extraction.people] == ["Anna Svensson"]
    assert extraction.focus_areas == ("gambling",)
    assert extraction.dates == ("2020-03-03",)


def test_extract_many_keeps_input_order_and_hints() -> None:
    items = [
        NlpInput("Länets kommuner och regionen är överens.", county_hint="05"),
        "",
        NlpInput("Region Kronoberg satsar på psykisk hälsa.", title="Nyhet", kind_hint="press_release"),
    ]
    out = list(extract_many(items, batch_size=2))
    assert [e.counties for e in out] == [("05",), (), ("07",)]
    assert out[2].kind == "press_release"


def test_lemmas_fix_wrong_lookups() -> None:
    from ingest.nlp.pipeline import load_nlp

    doc = load_nlp()("Stödet ska räcka för alla kommuner")
    assert [t.lemma_ for t in doc] == ["stöd", "ska", "räcka", "för", "all", "kommun"]
