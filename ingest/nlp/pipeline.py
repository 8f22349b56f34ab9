"""The spaCy pipeline: ``spacy.blank("sv")`` plus lookup lemmas and Regionsök's own components.

Components, in order (each a registered factory, so ``nlp.pipe`` runs them in batches):

``lemmatizer``               lookup lemmas from spacy-lookups-data;
``regionsok_lemma_fixes``    corrects lookups that are wrong for our texts (för→föra, ska→skola);
``gazetteer_lower/_exact``   entity rulers: gazetteer phrases → ORG / PLACE entities whose
                             ``ent_id_`` is "county|canonical";
``regionsok_people``         people with party and role, and the quotes attributed to them;
``regionsok_facts``          counties, organisations, dates, amounts, focus areas, target groups.

Results live on ``doc._.regionsok`` (a :class:`DocFacts`) and become an ``Extraction`` only at
the edge (:func:`to_extraction`).
"""

from __future__ import annotations

import itertools
import logging
import re
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from spacy.attrs import IDX, LEMMA

from ingest.kind import classify_kind
from ingest.language import mostly_english
from ingest.nlp import gazetteer
from ingest.nlp.amounts import find_amounts
from ingest.nlp.dates import find_dates, unique_dates
from ingest.nlp.people import PeopleFinder, _is_role_word, find_quotes, to_records
from ingest.nlp.taxonomy import load_taxonomy
from regionsok.errors import ConfigError
from regionsok.records import Amount, DocumentKind, Extraction, Person, Quote

logger = logging.getLogger(__name__)

# Longer texts are cut: a 1 MB dump is never a press release, and spaCy refuses very long docs.
MAX_CHARS = 1_500_000

# Lookups in spacy-lookups-data that are wrong for administrative Swedish.
LEMMA_FIXES: dict[str, str] = {
    "för": "för", "ska": "ska", "skall": "ska", "vård": "vård", "stöd": "stöd",
    "län": "län", "länets": "län", "råd": "råd", "kommuner": "kommun", "kommunerna": "kommun",
    "regionen": "region", "regioner": "region", "unga": "ung", "äldre": "äldre", "anhöriga": "anhörig",
    "beroende": "beroende", "missbruk": "missbruk", "insatser": "insats", "behandlingshem": "behandlingshem",
    "spel": "spel", "barn": "barn", "våld": "våld",
}
# "länets kommuner", "i länet": the county of the source, known only from the caller's hint.
_OWN_COUNTY = re.compile(r"\blänets\b|\bi länet\b|\bhela länet\b|\blänsövergripande\b", re.IGNORECASE)
# Lines that point elsewhere rather than say something: menus ("Start | Missbruk | …"), tag
# lists, "Läs mer om …" and "Se även" links.
_NAVIGATION = re.compile(
    r"^[ \t»›>•*-]*(?:taggar|etiketter|ämnen|kategorier|kategori|relaterat|relaterade \w+|se även|läs mer|"
    r"läs också|tags|meny|dela)\b.*$|^[^\n|]*\|[^\n|]*\|.*$",
    re.IGNORECASE | re.MULTILINE,
)
_POSTCODE_BEFORE = re.compile(r"\d{3}\s?\d{2}\s+$")
_BODY_ORG = re.compile(
    r"(?<![\w-])((?:[A-ZÅÄÖa-zåäö][a-zåäö]+-\s?och\s)?[A-ZÅÄÖa-zåäö][a-zåäö]{2,}(?:nämnden|styrelsen|förvaltningen)"
    r"|"
    r"(?:[A-ZÅÄÖ]|[a-zåäö]+(?=sfullmäktige|fullmäktige))[a-zåäö]*fullmäktige|"
    # Units written with a capital as a name: "Brukarrådet", "Socialroteln", "Beroendeenheten",
    # "Barn- och ungdomspsykiatrin", "Vuxenavdelningen", "Regionkontoret".
    r"(?:[A-ZÅÄÖ][a-zåäö]+-\s?och\s[a-zåäö]+|[A-ZÅÄÖ][a-zåäö]{2,})"
    r"(?:rådet|roteln|enheten|utskottet|beredningen|kliniken|psykiatrin|avdelningen|kontoret|hälsan|centrum)|"
    # "Individ- och familjeomsorgen": a förvaltning named by its two fields.
    r"[A-ZÅÄÖ][a-zåäö]+-\s?och\s[a-zåäö]+omsorgen|"
    # A clinic or unit named by an adjective: "Rättspsykiatriska kliniken", "Psykiatriska mottagningen".
    r"[A-ZÅÄÖ][a-zåäö]+(?:iska|a) (?:kliniken|mottagningen|enheten|avdelningen)|"
    # A body's own group: "Kommundirektörens ledningsgrupp", "Regionens styrgrupp".
    r"[A-ZÅÄÖ][a-zåäö]+s (?:ledningsgrupp|styrgrupp)(?:en)?|"
    r"(?:Region|Kommun)fullmäktige|[Ff]ullmäktige)(?=s?(?![\w-]))"  # also the genitive: "Socialnämndens"
    # A unit "i" the place it serves: "Ungdomscentrum i Uppsala", "Rättspsykiatriska kliniken i Vadstena".
    r"(?P<place> i (?!Region\b|Landstinget\b|Sverige\b)[A-ZÅÄÖ][a-zåäö]+)?"
)
# Units that take the place they serve into their name (above); other bodies do not.
_PLACED_UNIT = re.compile(r"(?:centrum|kliniken|mottagningen|enheten|avdelningen)$")
# Committees named by their remit, as written: "Beredningen för folkhälsa och demokrati i södra
# Lappland", "utskottet för personal, kompetensförsörjning och utbildning", "Nämnden för folkhälsa".
_REMIT_BODY = re.compile(
    r"(?<![\w-])(?:(?:[Bb]eredningen|[Uu]tskottet|Nämnden|Rådet|Kommittén|Delegationen|Centrum|Nätverket) för "
    r"[a-zåäö]+(?:-? och [a-zåäö]+)?(?:, [a-zåäö]+(?:-? och [a-zåäö]+)?)*(?: och [a-zåäö]+)?"
    r"(?: i (?:[a-zåäö]+ |[A-ZÅÄÖ][a-zåäö]+ )?[A-ZÅÄÖ][a-zåäö]+)?)(?![\w-])(?![ \t]*(?:,|och\b|-))"
)
# Words after "för" that make the phrase a role or a purpose, not a committee's name.
_NOT_A_REMIT = re.compile(r" för (?:att|den|det|de|en|ett|sin|sitt|sina|oss|dem|mig|dig)\b")
# A body of a named region or kommun, as written: "Region Skånes kulturnämnd", "Ale kommuns socialnämnd".
_OWNED_BODY = re.compile(
    r"(?<![\w-])((?:Region|Landstinget) [A-ZÅÄÖ][\w-]+s|[A-ZÅÄÖ][\w-]+ (?:kommuns|stads)) "
    r"((?!fack)[a-zåäö]+(?:nämnd|styrelse|förvaltning)(?:en)?)(?![\w-])"  # "Region Skånes facknämnd" is no name
)
# Civil society and companies, as written: "Stiftelsen Lindra", "Kvinnojouren i Nora",
# "Stadsmissionen", "Studieförbundet Vuxenskolan", "Lumell Associates AB".
_NGO_OR_COMPANY = re.compile(
    r"(?<![\w-])(?:(?:Stiftelsen|Föreningen|Studieförbundet|Riksförbundet|Kvinnojouren|Tjejjouren|Brottsofferjouren"
    r"|Kvinno- och tjejjouren|Kommunalförbundet|Kommunförbundet|Samordningsförbundet)(?: i)? [A-ZÅÄÖ][\w-]+"
    r"(?: [A-ZÅÄÖ][\w-]+)?"
    # "Spelberoendes förening i Göteborg", "Anhörigföreningen i Lund"
    r"|[A-ZÅÄÖ][a-zåäö]+(?:s förening|föreningen) i [A-ZÅÄÖ][\w-]+"
    # "Kolmårdens behandlingshem": an institution named by its place, in the genitive
    r"|(?!Sveriges |Regionens |Kommunens |Landstingets )[A-ZÅÄÖ][a-zåäö]+s (?:behandlingshem|vårdhem|folkhögskola)"
    r"|[A-ZÅÄÖ][a-zåäö]*(?:[Ss]tadsmissionen|[Kk]vinnojouren|[Tt]jejjouren)"
    r"|[A-ZÅÄÖ][\w&-]+(?: [A-ZÅÄÖ][\w&-]+){0,2} AB)(?![\w-])"
)
# Parties and coalitions written out act as bodies ("Socialdemokraterna och Moderaterna presenterar").
_PARTY_NAME = re.compile(
    r"(?<![\w-])(Socialdemokraterna|Moderaterna|Centerpartiet|Liberalerna|Folkpartiet|Kristdemokraterna"
    r"|Vänsterpartiet|Miljöpartiet|Sverigedemokraterna)"
    # The local branch, as written: "Socialdemokraterna i Region Skåne", "Kristdemokraterna Sandviken".
    r"(?P<branch> i (?:Region |Landstinget )?[A-ZÅÄÖ][\w-]+(?: län)?|[ \t]+(?P<kommun>[A-ZÅÄÖ][\w-]+))?(?![\w-])"
    # Coalitions of parties that govern together: "Koalition för Östergötland", "Alliansen".
    r"|(?:Koalition|Allians|Alliansen) för [A-ZÅÄÖ][\w-]+|Alliansen(?![\w-])"
)
# Kommuner named bare that act: "Kiruna, Gällivare och Pajala har gått ihop", "Ale satsar".
_ACTING_VERB = re.compile(
    r"\s*(?:,\s*|\s+och\s+)?(?:som\s+(?:(?:alla|båda|bägge|också|även|själva|redan|nu)\s+)?)?"
    r"(?:har|hade|ska|kommer|satsar|satsade|beslutade|beslutar|erbjuder|erbjöd|samarbetar|startar|startade|inför|"
    r"införde|deltar|driver|tar|gör|inleder|planerar|arbetar|går|gick|ligger|lägger|lade|spenderar|nöjer|vill|"
    r"kan|måste|behöver|bör|får|fick|redovisar|anställer|bygger|öppnar|stänger|avvecklar|tecknar|tecknade|"
    r"antar|antog|fattar|fattade|använder|saknar)\b"
)
# Bare names after these are where something is, not who acts ("en mottagning i Uppsala som blir …").
_PLACE_PREPOSITION = re.compile(r"(?:\b(?:i|på|från|till|vid|inom|mot|utanför|runt|kring|via|mellan)\s+)$", re.IGNORECASE)
# Organisations cited only as the source of a statistic or a claim, "enligt Socialstyrelsen"
# (LABELS.md leaves them out).
_STATISTICS_SOURCE = re.compile(
    r"(?:(?:statistik(?:en)?|siffror(?:na)?|data) (?:\w+ ){0,2}(?:från|ur)|\benligt)\s+$",
    re.IGNORECASE,
)


# Bodies named by how a text introduces them: "ordförande i Samråd vård och omsorg",
# "Novahuset, en ideell förening".
_NAMED_BODY = re.compile(
    r"\b(?:ordförande|ledamot|ledamöter|ledamöterna) (?:i|för) "
    r"(?P<name>[A-ZÅÄÖ][\w-]+(?: (?:[a-zåäö][\w-]*|[A-ZÅÄÖ][\w-]+)){0,5}?)(?=[,.;\n]|$)"
    r"|(?P<name2>[A-ZÅÄÖ][\w-]+(?: [A-ZÅÄÖ][\w-]+){0,3}), (?:en|ett) (?:ideell |idéburen |lokal )?"
    r"(?:förening|organisation|stiftelse|nätverk|kommunalförbund)\b"
)


@dataclass(slots=True)
class DocFacts:
    """What the components found in one document (set on ``doc._.regionsok``)."""

    title: str | None = None
    county_hint: str | None = None
    kind_hint: str | None = None
    body_start: int = 0  # where the text starts after a title the pipeline put before it
    ents: list[Any] | None = None  # doc.ents, read once by the people component
    people: list[Person] = field(default_factory=list)
    quotes: list[Quote] = field(default_factory=list)
    person_spans: list[tuple[int, int]] = field(default_factory=list)
    counties: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    dates: tuple[str, ...] = ()
    amounts: list[Amount] = field(default_factory=list)
    focus_areas: list[str] = field(default_factory=list)
    target_groups: list[str] = field(default_factory=list)


def _facts(doc: Any) -> DocFacts:
    if doc._.regionsok is None:
        doc._.regionsok = DocFacts()
    return doc._.regionsok


class LemmaFixes:
    """Overrides wrong lookup lemmas (``för`` is a preposition here, not the verb ``föra``), and
    looks up capitalised words in lower case (the table has "stödet", not "Stödet")."""

    def __init__(self, fixes: dict[str, str], lookup: Callable[[str], str | None]) -> None:
        self.fixes = fixes
        self.lookup = lookup

    def __call__(self, doc: Any) -> Any:
        for token in doc:
            lower = token.lower_
            fixed = self.fixes.get(lower)
            if fixed is None and token.text != lower and token.lemma_ == token.text:
                fixed = self.lookup(lower)
            if fixed is not None:
                token.lemma_ = fixed
        return doc


class PeopleComponent:
    """People (name, party, role) and quotes; gazetteer entities block names."""

    def __init__(self, finder: PeopleFinder) -> None:
        self.finder = finder

    def __call__(self, doc: Any) -> Any:
        facts = _facts(doc)
        # doc.ents builds its spans anew on every access, a pass over all tokens: read it once.
        facts.ents = list(doc.ents)
        blocked = [(e.start_char, e.end_char) for e in facts.ents]
        mentions = self.finder.mentions(doc.text, blocked)
        found = self.finder.people(mentions)
        facts.people = to_records(found)
        facts.quotes = find_quotes(doc.text, found)
        facts.person_spans = [(m.start, m.end) for m in mentions]
        return doc


class FactsComponent:
    """Counties, organisations, dates, amounts and taxonomy concepts of a document."""

    def __call__(self, doc: Any) -> Any:
        facts = _facts(doc)
        text = doc.text
        counties: dict[str, None] = {}
        organisations: dict[str, None] = {}
        org_spans: list[tuple[int, int]] = []
        person_starts = [s for s, _ in facts.person_spans]  # in text order, disjoint
        ents = facts.ents if facts.ents is not None else list(doc.ents)
        absorbed: set[str] = set()  # parts of "Name (ACRONYM)", which the text then names by either
        cited: dict[str, bool] = {}  # organisation → named only as the source of a statistic so far
        branched: set[str] = set()  # national bodies the text names by their local branch
        for ent in ents:
            if ent.label_ == "ORG":
                org_spans.append((ent.start_char, ent.end_char))
            at = bisect_left(person_starts, ent.end_char)
            if at > 0 and facts.person_spans[at - 1][1] > ent.start_char:
                continue  # "Karin Lund": a surname, not the kommun
            county, _, canonical = ent.ent_id_.partition("|")
            if ent.label_ == "PLACE" and _POSTCODE_BEFORE.search(text[max(0, ent.start_char - 10) : ent.start_char]):
                continue  # a postal address names where an office is, not what the text concerns
            if county:
                counties.setdefault(county, None)
            if ent.label_ == "ORG":
                name = _as_written(ent.text, canonical)
                acronym = _acronym_after(text, ent, ents)
                if acronym is not None:
                    absorbed.update({name.casefold(), acronym.casefold()})
                    name = f"{name} ({acronym})"
                elif (bare := _own_acronym_after(text, ent, ents)) is not None:
                    name = f"{name} {bare}"  # "Världshälsoorganisationen WHO", as written
                    absorbed.add(bare.casefold())
                elif not county and (branch := _county_branch(text, ent, ents)) is not None:
                    branched.add(name)
                    name = f"{name} {branch}"  # "NSPH Stockholms län": a national body's branch there
                elif name.casefold() in absorbed:
                    continue
                statistic = _STATISTICS_SOURCE.search(text, max(0, ent.start_char - 40), ent.start_char) is not None
                cited[name] = cited.get(name, True) and statistic
                organisations.setdefault(name, None)
        for name, only_cited in cited.items():
            if only_cited or name in branched:
                # "visar statistik från Sveriges kommuner och landsting"; "Maria Ungdom" in a text
                # about "Maria Ungdom Örebro" is the branch, named so once.
                organisations.pop(name, None)
        # Bodies the gazetteer does not list, unless the words are a known name or place.
        known = [(e.start_char, e.end_char) for e in ents]
        taken = list(known)
        for name, span in _acronym_named(text):
            if not any(s < span[1] and span[0] < e for s, e in org_spans):
                organisations.setdefault(name, None)
                taken.append(span)
        for m in _BODY_ORG.finditer(text):
            if not any(s < m.end(1) and m.start(1) < e for s, e in taken):
                name = m.group(1)
                if m.group("place") and _PLACED_UNIT.search(name):
                    name += m.group("place")
                organisations.setdefault(name[0].upper() + name[1:], None)
        named = [*org_spans, *taken[len(known) :]]  # a place in the remit is fine: "… i södra Lappland"
        for m in _REMIT_BODY.finditer(text):
            if _NOT_A_REMIT.search(m.group(0)) or any(s < m.end() and m.start() < e for s, e in named):
                continue
            name = m.group(0)
            if name.endswith("s") and name.split()[-1][:1].isupper() and re.match(r" [a-zåäö]", text[m.end():]):
                name = name[:-1]  # "… i Södra Lapplands rapport": the genitive of the name
            organisations.setdefault(name[0].upper() + name[1:], None)
        person_ends = sorted(e for _, e in facts.person_spans)
        kommun_names = _kommun_names()
        for pattern in (_NGO_OR_COMPANY, _PARTY_NAME):
            for m in pattern.finditer(text):
                name = m.group(0)
                if pattern is _PARTY_NAME and m.group(1):
                    if m.group("kommun") and m.group("kommun") not in kommun_names:
                        name = m.group(1)  # "Moderaterna Vill…": the next word is no local branch
                    head = m.span(1)
                    if _after_person(text, m.start(), person_ends):
                        continue  # "Anna Berg, Socialdemokraterna": a member's party, not a body acting
                else:
                    head = m.span()
                # A place inside the name is fine ("Kvinnojouren i Tranås"); a listed body is not.
                if any(s < head[1] and head[0] < e for s, e in org_spans):
                    continue
                organisations.setdefault(" ".join(name.split()), None)
        owned: list[str] = []
        for m in _OWNED_BODY.finditer(text):
            organisations.setdefault(f"{m.group(1)} {m.group(2)}", None)
            owned.append(m.group(2).casefold().removesuffix("en"))
        for name in _acting_kommuner(text, ents):
            organisations.setdefault(name, None)
        for m in _NAMED_BODY.finditer(text):
            group = "name" if m.group("name") else "name2"
            start, end = m.span(group)
            if not any(s < end and start < e for s, e in known):
                organisations.setdefault(m.group(group), None)
        # "Region Skånes kulturnämnd … Kulturnämnden sammanträder": one body, named in full once.
        for stem in owned:
            for form in (stem, stem + "en"):
                for name in [n for n in organisations if n.casefold() == form]:
                    del organisations[name]
        if facts.county_hint and _OWN_COUNTY.search(text):
            counties.setdefault(facts.county_hint, None)
        facts.counties = sorted(counties)
        # The page title is not evidence (LABELS.md): a body named only there is left out.
        body = text[facts.body_start :].casefold()
        facts.organisations = [n for n in _unique_folded(organisations) if n.casefold() in body]
        facts.dates = unique_dates(find_dates(text))
        facts.amounts = find_amounts(text)
        facts.focus_areas, facts.target_groups = _concepts(doc, org_spans)
        return doc


def _as_written(surface: str, canonical: str) -> str:
    """An organisation's name as the text writes it (LABELS.md), without a genitive s.

    "Region Skånes sjukvårdsnämnd" names Region Skåne; "Västerås stads" names Västerås stad.
    """
    name = " ".join(surface.split())
    if name.casefold() == canonical.casefold() + "s" or (
        name.endswith("s") and name[:-1].casefold() in _org_phrases()
    ):
        name = name[:-1]
    return name


@lru_cache(maxsize=1)
def _org_phrases() -> frozenset[str]:
    return frozenset(e.phrase.casefold() for e in gazetteer.entries() if e.label == "ORG")


@lru_cache(maxsize=1)
def _kommun_names() -> frozenset[str]:
    return frozenset(k.name for k in gazetteer.kommun_records())


def _acting_kommuner(text: str, ents: list[Any]) -> list[str]:
    """Bare kommun names that are the subject of an action, with the names coordinated with them.

    The subject opens its clause ("Kiruna, Gällivare och Pajala har gått ihop") or is named by
    a relative clause ("… Lessebo och Storuman, som lägger 0,2 procent"), unless a preposition
    makes it a place ("en mottagning i Uppsala som blir …").
    """
    places = [e for e in ents if e.label_ == "PLACE" and e.ent_id_.partition("|")[2] in _kommun_names()]
    out: list[str] = []
    run: list[Any] = []
    for ent in places:
        if run and re.fullmatch(r"\s*(?:,|och)\s*", text[run[-1].end_char : ent.start_char]):
            run.append(ent)
        else:
            run = [ent]
        verb = _ACTING_VERB.match(text, ent.end_char)
        if verb is None:
            continue
        before = text[max(0, run[0].start_char - 3) : run[0].start_char]
        starts_clause = run[0].start_char == 0 or re.search(r"(?:^|[.!?:]\s|\n)\s*$", before) is not None
        relative = re.search(r"\bsom\s", verb.group(0)) is not None and not _PLACE_PREPOSITION.search(
            text, max(0, run[0].start_char - 12), run[0].start_char
        )
        if starts_clause or relative:
            out.extend(e.text for e in run if e.text not in out)
    return out


# An organisation with an acronym in brackets: "Centrum för forskning och utbildning kring
# riskbruk, missbruk och beroende (CERA)"; the name starts at the last capitalised word that is
# not a place after "i", and names a body by one of these words.
_ACRONYM_IN_BRACKETS = re.compile(r"\(([A-ZÅÄÖ]{2,8}(?:-[A-ZÅÄÖ]{2,8})?)\)")
_BODY_WORD = re.compile(
    r"(?:centrum|center|grupp|gruppen|råd|rådet|nätverk|nätverket|förbund|förbundet|förening|föreningen|institut|"
    r"institutet|myndighet|myndigheten|kommitté|kommittén|beredning|beredningen|utskott|utskottet|nämnd|nämnden|"
    r"kansli|kansliet|sekretariat|organisation|stiftelse|akademi|akademin|universitet|samverkan|samverkansgrupp)$"
)
# An acronym spelled out after it: "VIS (Vård i samverkan)".
_ACRONYM_SPELLED_OUT = re.compile(r"(?<![\w-])([A-ZÅÄÖ]{2,6}) \(([A-ZÅÄÖ][a-zåäö]+(?: [a-zåäö]+){1,6})\)")


def _acronym_named(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Bodies the text names with their acronym, as written, and where they stand."""
    out: list[tuple[str, tuple[int, int]]] = []
    for m in _ACRONYM_SPELLED_OUT.finditer(text):
        initials = "".join(w[0] for w in m.group(2).split()).upper()
        if initials == m.group(1):
            out.append((m.group(0), m.span()))
    for m in _ACRONYM_IN_BRACKETS.finditer(text):
        window = text[max(0, m.start() - 160) : m.start()]
        clause_start = max(window.rfind(c) for c in ".;:\n(")
        words = list(re.finditer(r"[\w-]+", window[clause_start + 1 :]))
        head = None
        for i in range(len(words) - 1, -1, -1):
            word = words[i].group()
            if word[:1].isupper():
                if i > 0 and words[i - 1].group() == "i":
                    continue  # "… i Värmland (CLG-MBV)": the place the body serves
                head = i
                break
            if word not in ("och", "eller", "för", "i", "av", "kring", "om", "mot", "med", "till") and \
                    not word.islower():
                break
        if head is None or head == len(words) - 1:
            continue
        name_words = [w.group().casefold() for w in words[head:]]
        if not any(_BODY_WORD.search(w) for w in name_words[:4]):
            continue  # "Samordnad individuell plan (SIP)", "Lagen om vård av missbrukare (LVM)"
        start = max(0, m.start() - 160) + clause_start + 1 + words[head].start()
        out.append((" ".join(text[start : m.end()].split()), (start, m.end())))
    return out


def _county_branch(text: str, ent: Any, ents: list[Any]) -> str | None:
    """A county or kommun named right after a national body, as its branch there: "NSPH Stockholms
    län", "Maria Ungdom Örebro"."""
    for other in ents:
        if other.start_char == ent.end_char + 1 and other.label_ == "PLACE" and (
            other.text.endswith(" län") or other.ent_id_.partition("|")[2] in _kommun_names()
        ):
            return str(other.text)
    return None


def _own_acronym_after(text: str, ent: Any, ents: list[Any]) -> str | None:
    """The organisation's own acronym written right after its name, without brackets ("… WHO")."""
    m = re.match(r" ([A-ZÅÄÖ]{2,6})(?![\w-])", text[ent.end_char : ent.end_char + 8])
    if m is None:
        return None
    for other in ents:
        if other.start_char == ent.end_char + 1 and other.ent_id_ == ent.ent_id_ and other.text == m.group(1):
            return m.group(1)
    return None


def _acronym_after(text: str, ent: Any, ents: list[Any]) -> str | None:
    """The acronym the text gives in parentheses right after an organisation, "SKR" in "… (SKR)"."""
    m = re.match(r"\s*\(([A-ZÅÄÖ][A-ZÅÄÖa-zåäö-]{1,9})\)", text[ent.end_char : ent.end_char + 14])
    if m is None or not m.group(1)[:2].isupper():
        return None
    return m.group(1)


def _after_person(text: str, start: int, person_ends: list[int]) -> bool:
    at = bisect_left(person_ends, start + 1)
    return at > 0 and re.fullmatch(r"[\s,(–-]*", text[person_ends[at - 1] : start]) is not None


def _unique_folded(names: dict[str, None]) -> list[str]:
    """Names in order of appearance, each once regardless of case."""
    seen: dict[str, str] = {}
    for name in names:
        seen.setdefault(name.casefold(), name)
    return list(seen.values())




LEAD_CHARS = 400  # the opening of a text, where its subject is stated
ENUMERATION = 4  # focus areas in one part that make it a list of what a measure covers
BLOCK_CHARS = 500  # ... and long texts into parts of about this size
BLOCKS = 8  # a text is cut into this many parts to tell a recurring subject from a passing word

# A title of office built on coordinated compounds, "barn-, äldre- och jämställdhetsminister":
# the words name a minister's portfolio, not children or older people the text is about.
_COMPOUND_TITLE = re.compile(r"(?<![\w-])(?:[A-ZÅÄÖa-zåäö]+-,?\s+){1,5}(?:och|eller)\s+([a-zåäö]+)")
# A table of contents: three or more lines ending in a page number ("Samsjuklighet 19",
# "3.3 Resultat ... 9"). What it lists is what the document covers.
_CONTENTS = re.compile(r"(?:^[^\n]{3,120}?(?:\.{2,}|…|\s)\s*\d{1,3}[ \t]*\n){3,}", re.MULTILINE)
# Who a measure is for: "insatser till personer med psykisk funktionsnedsättning och personer
# med missbruk", "riktar sig till unga vuxna", "målgruppen är personer som har varit utsatta för
# våld", "tar även emot barn och ungdomar": the group is named in the rest of the clause.
_FOR_WHOM = re.compile(
    r"(?<![\w-])(?:för|till(?! att\b)|åt|målgrupp\w*(?: är)?|tar (?:\w+ )?emot|erbjuds)\s+"
    # A purpose ("för att fånga upp utsatta barn") names the group; a reason ("anledningen till att
    # …") or a pronoun ("outhärdligt för den drabbade och dess anhöriga") does not.
    r"(?!(?:den|det|detta|denna|dess|sin|sitt|sina|oss|dem|honom|henne|mig|dig)\b)([^.;:!?\n]{1,100})",
    re.IGNORECASE,
)
# ... or the group gets the help, named in the four words before the verb: "där även anhöriga
# kan få stöd"; or in one word: "anhörigstöd" is support for relatives.
_GETS_HELP = re.compile(
    r"(?<![\w-])(?:kan få|ska få|får|få|erbjuds|ska erbjudas|ges)\s+(?:\w+\s+)?(?:stöd|hjälp|vård|behandling)\b"
    r"|(?<=\w)stöd",
    re.IGNORECASE,
)
_WORDS_BEFORE = re.compile(r"(?:[\w-]+\s+){1,4}$")
_WORD_AROUND = re.compile(r"\w+$")


def _help_windows(text: str) -> Iterator[str]:
    """The words naming who gets help, for each place :data:`_GETS_HELP` finds."""
    for m in _GETS_HELP.finditer(text):
        if m.group(0).lower() == "stöd":  # the tail of a compound: the whole word
            head = _WORD_AROUND.search(text, max(0, m.start() - 30), m.start())
            if head is not None:
                yield head.group(0) + "stöd"
        elif (words := _WORDS_BEFORE.search(text, max(0, m.start() - 80), m.start())) is not None:
            yield words.group(0)


# A focus area that is the object of a measure: "vård och stöd vid spelmissbruk", "insatser mot
# psykisk ohälsa", "arbetet mot våld i nära relationer" (LABELS.md: addressed as a measure).
_MEASURE_ON = re.compile(
    r"(?<![\w-])(?:vård|stöd|behandling|insatser|åtgärder|arbetet|satsningen|satsningar|mottagning)"
    r"(?:\s+och\s+[a-zåäö]+)?\s+(?:vid|mot)\s+([^.;:!?\n]{1,60})",
    re.IGNORECASE,
)
# Focus areas and the target group a text substantively about them names: "våld i nära
# relationer" with "våldsutsatta", "anhörigstöd" with "anhöriga", "barnperspektiv" with "barn".
_PAIRED_GROUP = {
    "domestic_violence": "violence_victims",
    "family_support": "relatives",
    "child_perspective": "children_and_young_people",
}


def _concepts(doc: Any, org_spans: list[tuple[int, int]]) -> tuple[list[str], list[str]]:
    """Focus areas and target groups the text addresses substantively (LABELS.md).

    Not in menus, tag lists or "Läs mer" links, not inside an organisation's name and not in a
    title of office. A concept counts when the opening of the text names it, when it recurs in
    at least two of the text's parts, or when a table of contents lists it: one passing word in
    a long text is not a measure or a priority. A target group also counts when the text says a
    measure is for it ("för unga vuxna"), or when the focus area it belongs with counts.
    English texts are matched on the English labels and synonyms (LABELS.md: English texts
    get the same slugs), since the Swedish synonyms half-match English words ("suicide").
    """
    text = doc.text
    masked = [*org_spans, *((m.start(), m.end()) for m in _NAVIGATION.finditer(text))]
    masked += [m.span() for m in _COMPOUND_TITLE.finditer(text) if _is_role_word(m.group(1))]
    if masked:
        chars = list(text)
        for start, end in masked:
            chars[start:end] = " " * (end - start)
        text = "".join(chars)
    taxonomy = load_taxonomy()
    english = mostly_english(text)
    lemmas: list[tuple[int, str]] = []
    offsets: list[int] = []
    if not english:
        # Through the token array: creating a Token object per word costs more than the matching.
        strings = doc.vocab.strings
        lemmas = [
            (idx, strings[int(lemma)]) for lemma, idx in doc.to_array([LEMMA, IDX]).tolist()
            if not text[idx].isspace()
        ]
        offsets = [idx for idx, _ in lemmas]

    found_anywhere: set[str] | None = None  # a part can only hold what the whole text holds

    def match(start: int, end: int) -> set[str]:
        if english:
            return set(taxonomy.match_query(text[start:end]))
        part = lemmas[bisect_left(offsets, start) : bisect_left(offsets, end)]
        shifted = [(idx - start, lemma) for idx, lemma in part]
        return set(taxonomy.match_document(text[start:end], lemmas=shifted, only=found_anywhere))

    everywhere = found_anywhere = match(0, len(text))
    if not everywhere:
        return [], []
    lead_end = _cut(text, min(len(text), LEAD_CHARS))
    kept = match(0, lead_end) & everywhere
    if len(kept) < len(everywhere) and len(text) > LEAD_CHARS:
        blocks = max(BLOCKS, len(text) // BLOCK_CHARS)
        bounds = [0] + [_cut(text, len(text) * i // blocks) for i in range(1, blocks)] + [len(text)]
        seen: dict[str, int] = {}
        for start, end in zip(bounds, bounds[1:], strict=False):
            if end > start:
                here = match(start, end)
                for slug in here:
                    seen[slug] = seen.get(slug, 0) + 1
                # A part that enumerates several areas lists what a measure or agreement covers.
                if sum(taxonomy[s].kind == "focus_area" for s in here) >= ENUMERATION:
                    kept |= here & everywhere
        kept |= {slug for slug, blocks in seen.items() if blocks >= 2} & everywhere
        for m in _CONTENTS.finditer(text):
            kept |= match(*m.span()) & everywhere
    areas = {s for s in everywhere - kept if taxonomy[s].kind == "focus_area"}
    for m in _MEASURE_ON.finditer(text) if areas else ():
        areas -= (found := set(taxonomy.match_document(m.group(1), only=areas)))
        kept |= found
        if not areas:
            break
    groups = {s for s in everywhere - kept if taxonomy[s].kind == "target_group"}
    if groups:
        windows = itertools.chain((m.group(1) for m in _FOR_WHOM.finditer(text)), _help_windows(text))
        for window in windows:
            if not groups:
                break
            groups -= (found := set(taxonomy.match_document(window, only=groups)))
            kept |= found
    # LABELS.md: samsjuklighet is also missbruk and psykisk ohälsa.
    if "comorbidity" in kept:
        kept |= {"substance_abuse", "mental_health"}
    for area, group in _PAIRED_GROUP.items():
        if area in kept and group in everywhere:
            kept.add(group)
    # LABELS.md pairs them: a text substantively about missbruk is about the people who have it.
    if "substance_abuse" in kept:
        kept.add("people_with_substance_abuse")
    ordered = [s for s in taxonomy.slugs() if s in kept]
    return (
        [s for s in ordered if taxonomy[s].kind == "focus_area"],
        [s for s in ordered if taxonomy[s].kind == "target_group"],
    )


def _cut(text: str, at: int) -> int:
    """``at`` moved forward to the next whitespace, so no word is cut in two."""
    m = re.compile(r"\s").search(text, at)
    return m.start() if m else len(text)


def _register() -> None:
    from spacy.language import Language
    from spacy.tokens import Doc

    if not Doc.has_extension("regionsok"):
        Doc.set_extension("regionsok", default=None)
    if "regionsok_lemma_fixes" not in Language.factories:
        Language.factory("regionsok_lemma_fixes", default_config={"fixes": LEMMA_FIXES})(make_lemma_fixes)
    if "regionsok_people" not in Language.factories:
        Language.factory("regionsok_people")(make_people)
    if "regionsok_facts" not in Language.factories:
        Language.factory("regionsok_facts")(make_facts)


def make_lemma_fixes(nlp: Any, name: str, fixes: dict[str, str]) -> LemmaFixes:
    lemmatizer = nlp.get_pipe("lemmatizer")
    tables: list[Any] = []

    def lookup(word: str) -> str | None:
        # The lemmatizer's tables are loaded by nlp.initialize(), after this factory runs.
        if not tables:
            tables.append(lemmatizer.lookups.get_table("lemma_lookup"))
        return tables[0].get(word)

    return LemmaFixes(dict(fixes), lookup)


def make_people(nlp: Any, name: str) -> PeopleComponent:
    return PeopleComponent(_people_finder(nlp))


def make_facts(nlp: Any, name: str) -> FactsComponent:
    return FactsComponent()


def _people_finder(nlp: Any) -> PeopleFinder:
    table = nlp.get_pipe("lemmatizer").lookups.get_table("lemma_lookup")
    return PeopleFinder(lambda word: word in table)


def _ruler_patterns(case_sensitive: bool) -> list[dict[str, Any]]:
    """Phrase patterns for one of the two gazetteer rulers (exact spelling, or lower case)."""
    return [
        {"label": e.label, "pattern": e.phrase if case_sensitive else e.phrase.lower(),
         "id": f"{e.county or ''}|{e.canonical}"}
        for e in gazetteer.entries()
        if e.case_sensitive == case_sensitive
    ]


@lru_cache(maxsize=1)
def load_nlp() -> Any:
    """The Swedish pipeline, built once per process (about two seconds)."""
    import spacy

    _register()
    try:
        nlp = spacy.blank("sv")
        nlp.max_length = MAX_CHARS + 10_000
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        nlp.add_pipe("regionsok_lemma_fixes")
        # Two phrase rulers, as a PhraseMatcher compares one attribute: names in any case first
        # (they are the longer ones), then acronyms and bare place names in their exact spelling,
        # which only fill the gaps the first left.
        lower: Any = nlp.add_pipe("entity_ruler", name="gazetteer_lower", config={"phrase_matcher_attr": "LOWER"})
        exact: Any = nlp.add_pipe("entity_ruler", name="gazetteer_exact", config={"phrase_matcher_attr": "ORTH"})
        spacy_logger = logging.getLogger("spacy")
        level = spacy_logger.level
        spacy_logger.setLevel(logging.WARNING)  # initialize() logs at INFO for every process
        try:
            nlp.initialize()
        finally:
            spacy_logger.setLevel(level)
        lower.add_patterns(_ruler_patterns(case_sensitive=False))
        exact.add_patterns(_ruler_patterns(case_sensitive=True))
        nlp.add_pipe("regionsok_people")
        nlp.add_pipe("regionsok_facts")
    except (OSError, ValueError, KeyError) as err:  # missing spacy-lookups-data, bad pattern
        raise ConfigError(f"the Swedish NLP pipeline cannot be built: {err}") from err
    return nlp


def prepare_doc(nlp: Any, text: str, *, title: str | None, county_hint: str | None, kind_hint: str | None) -> Any:
    """A tokenised ``Doc`` carrying the caller's hints, ready for ``nlp.pipe``."""
    text = text or ""
    body_start = 0
    if title and title.strip() and title.strip() not in text[: len(title) + 300]:
        text = f"{title.strip()}\n\n{text}"
        body_start = len(title.strip()) + 2
    if len(text) > MAX_CHARS:
        logger.warning("text of %d characters cut to %d for NLP", len(text), MAX_CHARS)
        text = text[:MAX_CHARS]
    doc = nlp.make_doc(text)
    # Only a real county code is the source's county: a hint of "99" or "Kalmar" (a JSONL
    # record's county_code) would otherwise come out as a county of the document.
    county = county_hint if county_hint in gazetteer.counties() else None
    doc._.regionsok = DocFacts(title=title, county_hint=county, kind_hint=kind_hint,
                               body_start=min(body_start, len(text)))
    return doc


def to_extraction(doc: Any, pipeline_version: str) -> Extraction:
    """The record of a processed ``Doc``."""
    facts = _facts(doc)
    kind: DocumentKind = classify_kind(doc.text, title=facts.title or "", hint=facts.kind_hint)
    return Extraction(
        kind=kind,
        counties=tuple(facts.counties),
        organisations=tuple(facts.organisations),
        people=tuple(facts.people),
        quotes=tuple(facts.quotes),
        dates=tuple(facts.dates),
        amounts=tuple(facts.amounts),
        focus_areas=tuple(facts.focus_areas),
        target_groups=tuple(facts.target_groups),
        pipeline_version=pipeline_version,
    )
