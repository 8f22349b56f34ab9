"""Display names for what a reader sees on the web page, in Swedish and English.

Focus areas and target groups come from the taxonomy file (its ``label_sv`` /
``label_en``), counties from the gazetteer (``"05"`` → "Östergötlands län" /
"Östergötland County"), document kinds from the small table below. Unknown values are
shown as they are, so a new slug never breaks a page.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from ingest.nlp import gazetteer
from ingest.nlp.taxonomy import load_taxonomy

UiLanguage = Literal["sv", "en"]

KIND_LABELS: dict[str, tuple[str, str]] = {
    "press_release": ("Pressmeddelande", "Press release"),
    "agreement": ("Överenskommelse", "Agreement"),
    "decision": ("Beslut", "Decision"),
    "report": ("Rapport", "Report"),
    "web_page": ("Webbsida", "Web page"),
}


@lru_cache(maxsize=1)
def _concepts() -> dict[str, tuple[str, str]]:

    return {slug: (c.label_sv, c.label_en) for slug, c in load_taxonomy().concepts.items()}


@lru_cache(maxsize=1)
def _counties() -> dict[str, tuple[str, str]]:

    out = {}
    for code, name in gazetteer.counties().items():
        base = name.removesuffix(" län")
        # Genitive s: "Stockholms län" -> "Stockholm County"; "Skåne län" stays "Skåne".
        english = (base[:-1] if base.endswith("s") else base) + " County"
        out[code] = (name, english)
    return out


def _pick(pair: tuple[str, str] | None, value: str, lang: UiLanguage) -> str:
    if pair is None:
        return value
    return pair[1] if lang == "en" else pair[0]


def concept_label(slug: str, lang: UiLanguage) -> str:
    """A focus area's or target group's name: ``concept_label("gambling", "sv") == "Spel om pengar"``."""
    return _pick(_concepts().get(slug), slug, lang)


def kind_label(kind: str, lang: UiLanguage) -> str:
    return _pick(KIND_LABELS.get(kind), kind, lang)


def county_label(code: str, lang: UiLanguage) -> str:
    return _pick(_counties().get(code), code, lang)


def county_codes() -> list[str]:
    return sorted(_counties())


# The API's error messages name parameters ("county: unknown county 'X'"); the page says it in words.
_ERRORS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^([\w.-]+): unknown query parameter"),
     "Adressen har en okänd parameter, ”{0}”: kontrollera stavningen (t.ex. county, kind, focus).",
     "The address has an unknown parameter, “{0}”: check its spelling (e.g. county, kind, focus)."),
    (re.compile(r"unknown county '([^']*)'"), "Det finns inget län som heter ”{0}”.", "There is no county called “{0}”."),
    (re.compile(r"county must be a county code"), "Länet är okänt.", "The county is unknown."),
    (re.compile(r"unknown kind '([^']*)'"), "Okänd dokumenttyp ”{0}”.", "Unknown document kind “{0}”."),
    (re.compile(r"unknown focus area '([^']*)'"), "Okänt fokusområde ”{0}”.", "Unknown focus area “{0}”."),
    (re.compile(r"unknown target group '([^']*)'"), "Okänd målgrupp ”{0}”.", "Unknown target group “{0}”."),
    (re.compile(r"unknown organisation '([^']*)'"), "Okänd organisation ”{0}”.", "Unknown organisation “{0}”."),
    (re.compile(r"nobody named '([^']*)'"), "Ingen person som heter ”{0}” finns i dokumenten.",
     "Nobody called “{0}” appears in the documents."),
    (re.compile(r"at most (\d+) characters"), "Sökningen är för lång (högst {0} tecken).",
     "The search is too long (at most {0} characters)."),
    (re.compile(r"\(([\d-]+)\) is after until \(([\d-]+)\)"), "Från-datumet ({0}) ligger efter till-datumet ({1}).",
     "The from date ({0}) is after the to date ({1})."),
    (re.compile(r"a date as YYYY-MM-DD"), "Skriv datum som ÅÅÅÅ-MM-DD.", "Write dates as YYYY-MM-DD."),
    (re.compile(r"^page: "), "Sidnumret är ogiltigt.", "The page number is not valid."),
    (re.compile(r"^k: "), "Antalet träffar per sida är ogiltigt.", "The number of results per page is not valid."),
    (re.compile(r"give some words|the query is empty|give a person's name"), "Skriv något att söka efter.",
     "Type something to search for."),
]


def error_text(message: str, lang: UiLanguage) -> str:
    """A QueryError message as a sentence for the reader, without parameter names."""
    for pattern, sv, en in _ERRORS:
        match = pattern.search(message)
        if match:
            return (en if lang == "en" else sv).format(*match.groups())
    return "The search could not be read." if lang == "en" else "Sökningen kunde inte tolkas."
