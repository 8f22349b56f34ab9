"""Gazetteers of Swedish public actors: counties (län), regions, kommuner, bodies and parties.

The data live as files in ``ingest/data/`` (each names its source) and are read once. A *län*
is a county with a two-digit SCB code ("05" Östergötlands län); a *kommun* is a municipality
with a four-digit SCB code whose first two digits are its county ("0580" Linköping).

Besides the lookups other stages use (:func:`counties`, :func:`region_name`, :func:`kommuner`,
:func:`normalize_party`), :func:`entries` flattens everything into the phrase list the spaCy
matcher component is built from.
"""

from __future__ import annotations

import csv
import json
import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from regionsok.errors import ConfigError

logger = logging.getLogger(__name__)

EntryLabel = Literal["ORG", "PLACE"]

# The data files ship inside the package (setuptools package-data), next to this package.
DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(frozen=True, slots=True)
class Kommun:
    """One of the 290 kommuner."""

    code: str
    name: str  # "Lilla Edet"
    genitive: str  # "Lilla Edets" (the form before "kommun")
    official: str  # "Lilla Edets kommun", "Göteborgs Stad", "Region Gotland"
    ambiguous: bool  # the bare name is also an everyday word or a person's name

    @property
    def county_code(self) -> str:
        return self.code[:2]


@dataclass(frozen=True, slots=True)
class Region:
    """A county and the region (formerly landsting) that serves it."""

    code: str
    county: str  # "Östergötlands län"
    region: str  # "Region Östergötland"
    places: tuple[str, ...]
    former: tuple[str, ...]
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Organisation:
    """A named body; ``county`` is None for national bodies."""

    name: str
    type: str
    county: str | None
    aliases: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()
    successor: str | None = None


@dataclass(frozen=True, slots=True)
class Entry:
    """One phrase the matcher looks for, with what a match means.

    ``case_sensitive`` phrases (acronyms, bare place names that are also words) match on the
    exact spelling; the others on lower case.
    """

    phrase: str
    label: EntryLabel
    canonical: str  # the organisation's canonical name, or the place's name
    county: str | None
    case_sensitive: bool


def _data_text(name: str) -> str:
    try:
        return DATA_DIR.joinpath(name).read_text(encoding="utf-8")
    except OSError as err:
        raise ConfigError(f"gazetteer file ingest/data/{name} cannot be read: {err}") from err


def _data_json(name: str) -> dict[str, Any]:
    try:
        data = json.loads(_data_text(name))
    except json.JSONDecodeError as err:
        raise ConfigError(f"ingest/data/{name} is not valid JSON: {err}") from err
    if not isinstance(data, dict):
        raise ConfigError(f"ingest/data/{name} must hold a JSON object")
    return data


@lru_cache(maxsize=1)
def regions() -> tuple[Region, ...]:
    """The 21 counties and their regions, in code order."""
    rows = _data_json("regions.json").get("regions", [])
    out = tuple(
        Region(
            code=r["code"],
            county=r["county"],
            region=r["region"],
            places=tuple(r.get("places", ())),
            former=tuple(r.get("former", ())),
            aliases=tuple(r.get("aliases", ())),
        )
        for r in rows
    )
    if len(out) != 21:
        raise ConfigError(f"regions.json lists {len(out)} counties, expected 21")
    return out


@lru_cache(maxsize=1)
def kommun_records() -> tuple[Kommun, ...]:
    """All 290 kommuner with their name forms."""
    lines = [line for line in _data_text("kommuner.tsv").splitlines() if line and not line.startswith("#")]
    out = tuple(
        Kommun(
            code=row["code"],
            name=row["name"],
            genitive=row["genitive"],
            official=row["official"],
            ambiguous=row["ambiguous"] == "1",
        )
        for row in csv.DictReader(lines, delimiter="\t")
    )
    if len(out) != 290:
        raise ConfigError(f"kommuner.tsv lists {len(out)} kommuner, expected 290")
    return out


def counties() -> dict[str, str]:
    """County code → county name: ``{"05": "Östergötlands län", …}``."""
    return {r.code: r.county for r in regions()}


def region_name(code: str) -> str:
    """The region serving a county: ``region_name("05") == "Region Östergötland"``.

    Raises ConfigError for an unknown code, since callers pass codes they got from us.
    """
    for r in regions():
        if r.code == code:
            return r.region
    raise ConfigError(f"unknown county code {code!r}")


def kommuner() -> dict[str, str]:
    """Kommun code → name: ``{"0580": "Linköping", …}`` (290 entries)."""
    return {k.code: k.name for k in kommun_records()}


@lru_cache(maxsize=1)
def organisations() -> tuple[Organisation, ...]:
    """Kommunalförbund, national bodies and civil-society organisations from organisations.json."""
    rows = _data_json("organisations.json").get("organisations", [])
    return tuple(
        Organisation(
            name=o["name"],
            type=o.get("type", "other"),
            county=o.get("county"),
            aliases=tuple(o.get("aliases", ())),
            acronyms=tuple(o.get("acronyms", ())),
            successor=o.get("successor"),
        )
        for o in rows
    )


@lru_cache(maxsize=1)
def _party_forms() -> tuple[dict[str, str], dict[str, str]]:
    data = _data_json("parties.json").get("parties", [])
    names = {p["code"]: p["name"] for p in data}
    forms: dict[str, str] = {}
    for p in data:
        for form in p.get("forms", ()):
            forms[form.casefold()] = p["code"]
    return names, forms


_PARTY_STRIP = re.compile(r"^[\s(\[]+|[\s)\].,:;]+$")


def normalize_party(token: str) -> str | None:
    """A party letter code from how a text writes it: "(s)", "S", "Mp", "fp", "Moderaterna".

    Returns None for anything that is not one of the eight parties (a local party, an
    acronym such as "(SKL)"), so a caller can use it as the test "is this a party tag".
    """
    cleaned = _PARTY_STRIP.sub("", token or "").casefold()
    if not cleaned:
        return None
    return _party_forms()[1].get(cleaned)


def party_name_forms() -> dict[str, str]:
    """Written-out party names and their genitives (not letter codes) → code, for "Moderaternas X"."""
    return {form: code for form, code in _party_forms()[1].items() if len(form) > 3}


def _landsting_variants(r: Region) -> list[str]:
    return [f"Landstinget i {r.county}", f"{r.county.removesuffix(' län')}s läns landsting"]


@lru_cache(maxsize=1)
def entries() -> tuple[Entry, ...]:
    """Every phrase the gazetteer matcher looks for.

    Regions and their former names are organisations with a county; county and landscape
    names are places; "X kommun" is an organisation, a bare kommun name a place (unless
    ambiguous); Länsstyrelsen i X län is generated per county.
    """
    out: list[Entry] = []

    def add(phrase: str, label: EntryLabel, canonical: str, county: str | None, cs: bool = False) -> None:
        out.append(Entry(phrase, label, canonical, county, cs))

    for r in regions():
        add(r.region, "ORG", r.region, r.code)
        for name in r.former:
            add(name, "ORG", name, r.code)
        for alias in r.aliases:
            add(alias, "ORG", r.region, r.code, cs=alias.isupper())
        for place in r.places:
            add(place, "PLACE", r.county, r.code, cs=True)
        short = r.county.removesuffix(" län")
        stem = short[:-1] if short.endswith("s") and not short.endswith("ss") else short
        lst = f"Länsstyrelsen i {r.county}"
        for phrase in (lst, f"Länsstyrelsen {stem}", f"Länsstyrelsen i {stem}"):
            add(phrase, "ORG", lst, r.code)
    for k in kommun_records():
        canonical = k.official
        for suffix in ("kommun", "kommuns", "stad", "stads"):
            add(f"{k.genitive} {suffix}", "ORG", canonical, k.county_code)
        if canonical not in {f"{k.genitive} kommun"}:
            add(canonical, "ORG", canonical, k.county_code)
        if not k.ambiguous:
            add(k.name, "PLACE", k.name, k.county_code, cs=True)
            if k.genitive != k.name:
                add(k.genitive, "PLACE", k.name, k.county_code, cs=True)
    for o in organisations():
        # A one-word name is matched as spelled: written in lower case it is the common noun
        # ("anmäls till polisen", "mind", "attention"), not the body. A lower-case alias in the
        # file ("regeringen") says the body is written so too.
        add(o.name, "ORG", o.name, o.county, cs=_one_word(o.name))
        for alias in o.aliases:
            add(alias, "ORG", o.name, o.county, cs=alias[:1].islower() or _one_word(alias))
        for acronym in o.acronyms:
            add(acronym, "ORG", o.name, o.county, cs=True)
    # "Landstinget" alone names the county's landsting; which one depends on the document,
    # so it is kept as written, without a county.
    add("Landstinget", "ORG", "Landstinget", None, cs=True)
    # Genitives of organisation names: "Region Skånes sjukvårdsnämnd", "Socialstyrelsens rapport".
    phrases = {e.phrase.casefold() for e in out}
    for e in list(out):
        genitive = e.phrase + "s"
        named = not e.case_sensitive or (_one_word(e.phrase) and e.phrase[:1].isupper() and not e.phrase.isupper())
        if e.label == "ORG" and named and not e.phrase.endswith(("s", "x", "z")) \
                and genitive.casefold() not in phrases:
            add(genitive, "ORG", e.canonical, e.county, cs=e.case_sensitive)
    return tuple(out)


def _one_word(name: str) -> bool:
    return " " not in name.strip()


@lru_cache(maxsize=1)
def first_names() -> frozenset[str]:
    """Common first names (SCB name statistics), to accept a bare "Förnamn Efternamn"."""
    names: set[str] = set()
    for line in _data_text("first_names.txt").splitlines():
        if line.startswith("#"):
            continue
        names.update(line.split())
    return frozenset(names)


@lru_cache(maxsize=1)
def role_stems() -> tuple[str, ...]:
    """Title stems (regionråd, ordförande, …chef, …ledare) from roles.txt, lower case."""
    return tuple(
        line.strip().casefold()
        for line in _data_text("roles.txt").splitlines()
        if line.strip() and not line.startswith("#")
    )
