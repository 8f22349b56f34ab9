"""People (with party and role) and the quotes attributed to them, from Swedish text.

A capitalised "Förnamn Efternamn" is only taken for a person with evidence around it, because
Swedish press texts are full of capitalised non-names ("Region Skåne", "Enligt Anna"):

- a party tag after it: "Torbjörn Holmqvist (S)", also lower case "(s)" and "(FP)";
- a speech verb before it: "säger Kerstin Sjöberg", "säger regionrådet Kerstin Sjöberg (C)";
- a role after it: "Charlotta Johansson, processledare, …", "Mats Fridell, professor i …";
- a party after a comma in lists of office holders: "Ordförande: Anna-Lena Danielsson, S";
- a contact or role label before it: "Textansvarig: Bodil Knuthammar", "Ordförande: …";
- a party word before it: "Socialdemokraten Irén Lejegren", "S-politikern Daniel Hill";
- a known first name (SCB name lists) with a title or "enligt" right before it ("regionrådet
  Kerstin Sjöberg", "Statsminister Stefan Löfven"), or with a typical Swedish surname ending
  ("Emma Lindgren", "Anna Johansson").

Names overlapping an organisation or place from the gazetteer are never people. Mentions of
the same person that differ by a typo ("Holmqvist" / "Holmkvist") are merged into the first.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from ingest.nlp import gazetteer
from regionsok.records import Person, Quote

_UP = "A-ZÅÄÖÉÈÜØÆ"
_LO = "a-zåäöéèüøæáíóúñçëï"
# "Anna", "Ann-Sofie", "AnnSofie", "Gardner-Sundström"
_NAME_WORD = rf"[{_UP}][{_LO}]+(?:[{_UP}][{_LO}]+)?(?:-[{_UP}][{_LO}]+)?"
_PARTICLE = r"(?:af|von|de|van|der|la|di)"
_SP = r"[ \t\u00a0]"
_FULL_NAME = re.compile(
    rf"(?<![\w-]){_NAME_WORD}(?:{_SP}+(?:{_PARTICLE}{_SP}+)?{_NAME_WORD}){{1,3}}(?![\w-])"
)
# "(S)", "(s)", "(FP)", "(Vänsterpartiet)", "(Miljöpartiet de gröna)"
_PARTY_TAG = re.compile(
    rf"{_SP}*,?{_SP}*[(\[]\s*([A-Za-zÅÄÖåäö]{{1,3}}|[A-ZÅÄÖ][a-zåäö]+(?:{_SP}+de{_SP}+gröna)?)\s*[)\]]", re.IGNORECASE
)
_SPEECH = (
    "säger|sa|sade|berättar|berättade|menar|konstaterar|betonar|understryker|förklarar|tycker|"
    "anser|fortsätter|avslutar|poängterar|framhåller|påpekar|skriver|hälsar|summerar|tillägger|"
    "kommenterar|svarar|meddelar|uppger|välkomnar"
)
_SPEECH_BEFORE = re.compile(rf"(?:\b(?:{_SPEECH}))(?P<mid>(?:{_SP}+[{_LO}][\w\-]*){{0,6}}){_SP}+$", re.IGNORECASE)
_SPEECH_AFTER = re.compile(rf"^{_SP}*(?:\([^)]*\))?{_SP}*(?:{_SPEECH})\b")
_CONTACT_LABEL = re.compile(
    rf"(?:^|\n|\s)(?P<label>kontakt(?:person)?|presskontakt|pressansvarig|textansvarig|ansvarig utgivare|frågor|"
    rf"för mer information|mer information|information|kontaktuppgifter|foto|text|anmälan|contact|press contact)"
    rf"{_SP}*(?::|,|–|-){_SP}*\n?{_SP}*$"
    # A contact heading on its own line, the names under it: "Kontakter\n\nOlle Berg\n".
    rf"|(?:^|\n)[ \t]*(?P<heading>kontakt(?:er|personer)?(?:{_SP}+för{_SP}+(?:journalister|media|press))?|presskontakter?)"
    rf"[ \t]*\n(?:[ \t]*\n)*[ \t]*$",
    re.IGNORECASE,
)
# Titles that name a person's office outright; before a capitalised name they are evidence even
# when the first name is not in the name lists ("Socialförsäkringsminister Ardalan Shekarabi").
_STRONG_TITLE = re.compile(r"(?:minister|ministern|statsråd|statsrådet|råd|rådet|ordförande|direktör|professor|chef)$",
                           re.IGNORECASE)
# "Anna Svensson, S" / "Anna Svensson, Socialdemokraterna" in lists of office holders.
_COMMA_PARTY = re.compile(rf"{_SP}*,{_SP}*(S|M|C|L|KD|V|MP|SD|FP|[A-ZÅÄÖ][a-zåäö]{{5,}})(?={_SP}*(?:[,.;\n]|$))")
# "Anna Svensson Socialdemokraterna Ledamot" in member lists: the party in words after the name.
_WORD_PARTY = re.compile(
    rf"{_SP}+(Socialdemokraterna|Moderata{_SP}+[Ss]amlingspartiet|Moderaterna|Centerpartiet|Liberalerna|Folkpartiet"
    rf"|Kristdemokraterna|Vänsterpartiet|Miljöpartiet|Sverigedemokraterna)(?![\w-])"
)
# "Ordförande: Anna Svensson", "Förste vice ordförande: …", "Ordförande i hälso- och sjukvårdsnämnden: …"
_ROLE_LABEL = re.compile(rf"(?:^|\n)[ \t]*([{_UP}{_LO}][\w-]*(?:{_SP}+[\w-]+){{0,6}}){_SP}*:{_SP}*$")
# A title alone on the line above a name, as in staff directories: "Verksamhetschef\nHelena …"
_ROLE_LINE = re.compile(rf"(?:^|\n)[ \t]*([{_UP}{_LO}][\w-]*(?:{_SP}+[\w-]+){{0,2}})[ \t]*\n[ \t]*$")
# The endings of most Swedish surnames (Lindgren, Holmqvist, Johansson, Sjöberg, Fridell).
_SURNAME = re.compile(
    r"(?:s?son|berg|gren|ström|lund|qvist|kvist|quist|holm|dahl|blad|ell|ius|lind|ling|mark|fors|stedt|"
    r"ander|én|in|é|sten|hed|ek|lin|ner|strand|stam|borg|vall|by)$"
)
_ENLIGT = re.compile(rf"\b(?:enligt|av|med|intervju med){_SP}+$", re.IGNORECASE)
# The role runs to the next comma, full stop or dash, but not through the hyphen of a compound
# written in parts: "ordförande i hälso– och sjukvårdsnämnden" (an en dash), "hälso-\noch" (a
# line break after the hyphen), "barn-, äldre- och jämställdhetsminister".
_ROLE_CHARS = r"(?:[^,.;:\n()–]|(?<=\w)–|(?<=[-–])[ \t]*\n|(?<=[-–]),)"
_ROLE_AFTER = re.compile(
    rf"^(?:{_SP}*[(\[][^)\]\n]{{1,12}}[)\]])?{_SP}*,{_SP}*(?:som är{_SP}+|som{_SP}+)?(?P<role>{_ROLE_CHARS}{{2,120}})"
)
_PHONE_OR_MAIL = re.compile(r"\d{2,}|@|\btel\b|\bmobil\b|\be-post\b|\bmejl\b", re.IGNORECASE)
# Capitalised words that start sentences and headings but never names.
_STOP = frozenset(
    """Den Det De Dem Denna Detta Dessa Där Här Hon Han Hen Vi Jag Ni Man Men Och Eller Att Som Om När Nu Då
    Enligt Efter Före Från Till Med Mot Under Över Vid Av För På I Ur Ut Utan Inom Hos Genom Mellan Bland
    Även Också Dessutom Samtidigt Just Både Redan Idag Igår Imorgon Sedan Senast Därför Dock Ändå Alltså
    Annars Fortfarande Tidigare Senare Slutligen Först Sist Nyligen Därefter Sammantaget Trots Eftersom
    Läs Mer Kontakt Presskontakt Textansvarig Pressmeddelande Nyhet Foto Bild Citat Taggar Media Prenumerera Telefon Mobil Tel Epost
    Ansvarig Frågor Information Publicerad Uppdaterad Datum Kategori Dela Skriv Ut Tillbaka Hem Meny Sök
    Regionrådet Kommunalrådet Ordförande Ordföranden Vice Oppositionsrådet Landstingsrådet Professor Docent
    Doktor Dr Statsrådet Ministern Socialministern Sjukvårdsministern Landshövding Landshövdingen Direktör
    Region Regionen Kommun Kommunen Landstinget Länsstyrelsen Stad Staden Förbundet Socialdemokraterna
    Moderaterna Centerpartiet Liberalerna Kristdemokraterna Vänsterpartiet Miljöpartiet Sverigedemokraterna
    Folkpartiet Moderata Sverige Sveriges Svenska Nationella Nationell Januari Februari Mars April Maj Juni Juli
    Augusti September Oktober November December Måndag Tisdag Onsdag Torsdag Fredag Lördag Söndag
    Gatan Vägen Box Besöksadress Postadress Org Nr Ja Nej Tack Hej God Välkommen Varför Hur Vad Vem Vilka
    Vilken Vilket Kan Ska Skall Vill Måste Får Har Hade Är Var Blir Blev Alla Många Flera Några Ingen Inga
    Stödet Vården Överenskommelsen Samverkan Målet Syftet Planen Arbetet Projektet The And Of In For""".split()
)
# Capitalised surname particles: "Rachel De Basso", "Anna Von Sydow".
_PARTICLES = frozenset("De Den Der Van Von Af Di Da La Le Du".split())
# Words in a candidate that make it an organisation or a place, not a person.
_ORG_TAIL = re.compile(
    r"(region|regionen|kommun|kommunen|kommuner|landsting|landstinget|förbund|förbundet|nämnd|nämnden|"
    r"styrelsen|huset|partiet|myndigheten|verket|stad|staden|sjukhus|sjukhuset|universitet|universitetet|"
    r"institutet|centrum|center|gruppen|rådet|län|föreningen|förening|mission|missionen|kyrkan|fonden|"
    r"akademin|departementet|inspektionen|bolaget|gatan|vägen|torget|parken|skolan)$",
    re.IGNORECASE,
)
# A lower-case title at the end of the text before a name: "regionrådet ", "nämndens ordförande ",
# "Kulturnämndens ordförande ", "barn-, äldre- och jämställdhetsminister ".
_ROLE_BEFORE = re.compile(
    rf"(?<![\w-])((?:[{_UP}{_LO}][\w-]*s{_SP}+)?(?:(?:[{_UP}{_LO}][\w]*[-–],?{_SP}+)+(?:[{_LO}]+{_SP}+)?och{_SP}+)?[{_LO}][\w-]*){_SP}+$"
)
_QUOTE_LINE = re.compile(
    rf"^{_SP}*(?:[-–—]|[”\"“»])\s*(?P<q>.+?)[”\"“«]?,?{_SP}+(?P<verb>{_SPEECH}){_SP}+(?P<tail>.+)$",
    re.MULTILINE | re.IGNORECASE,
)


_CREDIT_BEFORE = re.compile(rf"(?:^|\n|\s)(?:foto|fotograf|bild|photo|illustration){_SP}*[:/]{_SP}*$", re.IGNORECASE)


def _party_in_signature(after: str) -> str | None:
    """The party on the short lines under a signature: "Anna Berg\n\nGruppledare\n\nKristdemokraterna"."""
    lines = [line.strip() for line in after[:160].splitlines() if line.strip()][:3]
    for line in lines:
        if len(line) > 40:
            break
        party = gazetteer.normalize_party(line.split()[0])
        if party is not None and len(line.split()[0]) > 3:
            return party
    return None


@dataclass(slots=True)
class Mention:
    """One place a person is named, with whatever party and role stand next to it."""

    name: str
    start: int
    end: int
    party: str | None = None
    role: str | None = None


@dataclass(slots=True)
class _Found:
    name: str
    party: str | None
    role: str | None
    spans: list[tuple[int, int]] = field(default_factory=list)


@lru_cache(maxsize=8192)
def _is_role_word(word: str) -> bool:
    w = word.casefold().strip("-,.:;()")
    if len(w) < 3:
        return False
    # Definite forms end in -n, -en, -et: "projektledaren", "verksamhetschefen".
    bare = (w, w[:-1], w[:-2]) if w.endswith(("n", "t")) else (w,)
    return any(
        w.startswith(stem) or (len(stem) >= 4 and any(b.endswith(stem) for b in bare))
        for stem in gazetteer.role_stems()
    )


def _role_of(phrase: str) -> str | None:
    """The phrase as a role when one of its first words is a title ("processledare för …")."""
    phrase = " ".join(phrase.split()).strip(" \t-–")
    cut = _PHONE_OR_MAIL.search(phrase)
    if cut:
        phrase = phrase[: cut.start()].rstrip(" ,")
    words = phrase.split()
    if not words or len(words) > 14:
        return None
    if not any(_is_role_word(w) for w in words[:4]):
        return None
    return phrase or None


def _role_before(text: str, start: int) -> str | None:
    """A lower-case title right before a name: "regionrådet Kerstin", "nämndens ordförande Anna"."""
    window = text[max(0, start - 80) : start]
    m = _ROLE_BEFORE.search(window)
    if not m:
        return None
    words = m.group(1).split()
    if not _is_role_word(words[-1]):
        return None
    return m.group(1)


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    if abs(len(a) - len(b)) > limit:
        return False
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb))
        if min(cur) > limit:
            return False
        prev = cur
    return prev[-1] <= limit


def _same_person(a: str, b: str) -> bool:
    """Same name, or the same first name and a surname one or two typos away."""
    if a.casefold() == b.casefold():
        return True
    wa, wb = a.casefold().split(), b.casefold().split()
    if wa[0] != wb[0] and not _edit_distance_at_most(wa[0], wb[0], 1):
        return False
    sa, sb = " ".join(wa[1:]), " ".join(wb[1:])
    if wa[0] != wb[0]:
        return sa == sb
    limit = 1 if min(len(sa), len(sb)) < 7 else 2
    return _edit_distance_at_most(sa, sb, limit)


class PeopleFinder:
    """Finds people in a text, given the spans the gazetteer already claimed for organisations.

    ``is_common_word`` tells whether a lower-cased word is an ordinary Swedish word (from the
    lemma lookup table), used to drop a sentence-initial word glued onto a name.
    """

    def __init__(self, is_common_word: Callable[[str], bool]) -> None:
        self._is_common_word = is_common_word
        self._first_names = gazetteer.first_names()
        self._party_forms = gazetteer.party_name_forms()

    def _trim(self, text: str, start: int, end: int) -> tuple[int, int, str | None] | None:
        """Drop leading non-name words; returns the name's span and a role word dropped, if any."""
        words = [(m.start() + start, m.end() + start, m.group()) for m in re.finditer(r"\S+", text[start:end])]
        role: str | None = None
        while len(words) >= 2:
            w = words[0][2]
            if w.casefold() in self._party_forms:  # "Socialdemokraten Irén Lejegren"
                words.pop(0)
                continue
            is_role = _is_role_word(w)
            if w in _STOP or is_role:
                if is_role:
                    role = w.lower()
                words.pop(0)
                continue
            if len(words) >= 3 and w not in self._first_names and self._is_common_word(w.casefold()):
                words.pop(0)
                continue
            break
        if len(words) < 2:
            return None
        for i, (_, _, w) in enumerate(words):
            inner_particle = 0 < i < len(words) - 1 and w in _PARTICLES
            if (w in _STOP and not inner_particle) or _ORG_TAIL.search(w) or (i >= 2 and _is_role_word(w)):
                if i >= 2:  # "Frank Holm Centerpartiet Ordförande": the name ends before the party
                    words = words[:i]
                    break
                return None
        return words[0][0], words[-1][1], role

    def mentions(self, text: str, blocked: Iterable[tuple[int, int]]) -> list[Mention]:
        """Every person mention with evidence, in text order."""
        blocked = sorted(blocked)
        out: list[Mention] = []
        for m in _FULL_NAME.finditer(text):
            trimmed = self._trim(text, m.start(), m.end())
            if trimmed is None:
                continue
            start, end, role_word = trimmed
            title_word = re.match(rf"{_SP}+([{_LO}][\w-]+)", text[end : end + 40])
            if title_word and _is_role_word(title_word.group(1)) and text.count(" ", start, end) >= 2:
                # "Anita Berg Administrativ sekreterare": the capitalised word opens the title
                end = text.rfind(" ", start, end)
            if any(s < end and start < e and not (s > start and e >= end and " " not in text[s:e])
                   for s, e in blocked):
                # Overlaps an organisation; a one-word place as the surname ("Karin Lund") is fine.
                continue
            if end == len(text) and len(text) > 200:
                continue  # a long text cut off after a name: the name may be cut too (LABELS.md)
            mention = self._evidence(text, start, end, role_word)
            if mention is not None:
                out.append(mention)
        return out

    def _evidence(self, text: str, start: int, end: int, role_word: str | None) -> Mention | None:
        name = re.sub(r"\s+", " ", text[start:end])
        first = name.split()[0]
        after = text[end : end + 200]
        before = text[max(0, start - 120) : start]
        party: str | None = None
        role: str | None = None
        evidence = False
        tag = _PARTY_TAG.match(after) or _COMMA_PARTY.match(after) or _WORD_PARTY.match(after)
        if tag:
            party = gazetteer.normalize_party(tag.group(1))
            evidence = party is not None
        role_label = _ROLE_LABEL.search(before) or _ROLE_LINE.search(before)
        label_words = role_label.group(1).split() if role_label else []
        if label_words and (_is_role_word(label_words[-1]) or (len(label_words) > 2 and _is_role_word(label_words[0]))):
            evidence = True  # "Ordförande: Anna-Lena Danielsson, S"
            role = " ".join(label_words).lower()
        role_word_after = re.match(rf"{_SP}+([{_UP}][{_LO}]+)", after)
        if role_word_after and _is_role_word(role_word_after.group(1)) and first in self._first_names:
            evidence = True  # "Cecilia Holm Socialchef": a signature with the title after the name
            role = role_word_after.group(1).lower()
        role_match = _ROLE_AFTER.match(after)
        if tag is not None and tag.re is _COMMA_PARTY and party is not None:
            role_match = _ROLE_AFTER.match(after[tag.end() :])  # "Anna Berg, S, ordförande i …"
        if role_match:
            role = _role_of(role_match.group("role"))
            if role is not None:
                evidence = True
                if party is None:
                    tail = after[role_match.end() : role_match.end() + 12]
                    tag2 = _PARTY_TAG.match(tail)
                    if tag2:
                        party = gazetteer.normalize_party(tag2.group(1))
        speech = _SPEECH_BEFORE.search(before)
        if speech:
            evidence = True
            if role is None:
                mid = speech.group("mid").strip()
                role = _role_of(mid) if mid else None
        label = _CONTACT_LABEL.search(before)
        if label or _SPEECH_AFTER.match(after):
            evidence = True
        if label and label.group("label") and role is None and _is_role_word(label.group("label")):
            role = label.group("label")  # "Textansvarig: Bodil Knuthammar"
        if role_word and first in self._first_names:
            evidence = True  # "Statsminister Stefan Löfven", "Regionrådet Anna Svensson"
        elif role_word and _STRONG_TITLE.search(role_word) and not any(
            self._is_common_word(w.casefold()) for w in name.split()
        ):
            evidence = True  # "Socialförsäkringsminister Ardalan Shekarabi": a title, then no ordinary words
        if role is None and role_word:
            role = role_word
        if role is None:
            role = _role_before(text, start)
            if role is not None and (first in self._first_names or not self._is_common_word(first.casefold())):
                evidence = True  # "nämndens sekreterare Annalena Asenov", also a first name SCB does not list
        if first in self._first_names and (_ENLIGT.search(before) or _SURNAME.search(name.lower())):
            evidence = True  # "enligt Anna Berg", "Emma Lindgren": a known first name and a surname
        if first in self._first_names and not evidence and self._plain_surname(name, before, after):
            evidence = True  # "har gett Karin Frid uppdraget": a known first name and a surname in a sentence
        if party is None:
            party = self._party_before(before)
        if party is None and re.match(rf"{_SP}*\n", after):
            party = _party_in_signature(after)
        if _CREDIT_BEFORE.search(before):
            return None  # "Foto: Anna Berg": a photo credit (LABELS.md leaves them out)
        if not evidence:
            return None
        return Mention(name=name, start=start, end=end, party=party, role=role)

    def _plain_surname(self, name: str, before: str, after: str) -> bool:
        """Whether the words after a known first name read as a surname inside a sentence.

        Not an ordinary word ("Maria Ungdom" is a clinic), and not at the start of a line or
        heading, where capitalised phrases are mostly titles.
        """
        rest = name.split()[1:]
        if any(self._is_common_word(w.casefold()) and w.casefold() not in self._first_names for w in rest):
            return False
        if re.search(r"(?:[\w,]|[\w,][ \t]+(?:och|samt|eller)[ \t]*)[ \t]*$", before) is not None:
            return True
        # A name alone on its line, as in contact blocks and signatures.
        return bool(re.search(r"(?:^|\n)[ \t]*$", before)) and bool(re.match(rf"{_SP}*(?:\n|$)", after))

    def _party_before(self, before: str) -> str | None:
        """ "Moderaternas gruppledare Anna Svensson", "S-politikern Anna Svensson"."""
        clause = re.split(r"[.!?:;\n]", before[-60:])[-1]  # not "… och Centerpartiet. Kontakt: Anna"
        words = re.findall(r"[\w-]+", clause)[-2:]
        for word in reversed(words):
            party = self._party_forms.get(word.casefold())
            if party is not None:
                return party
        return None

    def people(self, mentions: list[Mention]) -> list[_Found]:
        """Mentions merged per person, in order of first mention.

        A person's name is the spelling used most often; on a tie, one with a known first name,
        then the first: "Torbjön Holmqvist (S) … Torbjörn Holmqvist … Torbjörn Holmqvist" is
        Torbjörn Holmqvist.
        """
        found: list[_Found] = []
        spellings: list[dict[str, int]] = []  # per person: spelling → mentions, in order of first use
        # Only plausible pairs are compared, so a long text with many names stays linear: the
        # same surname (a first-name typo), or the same first name and surname beginning or end.
        index: dict[tuple[str, ...], list[int]] = {}

        def keys(name: str) -> list[tuple[str, ...]]:
            words = name.casefold().split()
            first, surname = words[0], " ".join(words[1:])
            return [("s", surname), ("fb", first, surname[:2]), ("fe", first, surname[-2:])]

        for mention in mentions:
            mention_keys = keys(mention.name)
            candidates = sorted({i for key in mention_keys for i in index.get(key, ())})
            match = next(
                (i for i in candidates if any(_same_person(n, mention.name) for n in spellings[i])),
                None,
            )
            if match is None:
                match = len(found)
                found.append(_Found(mention.name, mention.party, mention.role, []))
                spellings.append({})
            f = found[match]
            f.party = f.party or mention.party
            f.role = f.role or mention.role
            f.spans.append((mention.start, mention.end))
            if mention.name not in spellings[match]:
                for key in mention_keys:
                    index.setdefault(key, []).append(match)
            spellings[match][mention.name] = spellings[match].get(mention.name, 0) + 1
        for f, counts in zip(found, spellings, strict=True):
            order = {name: i for i, name in enumerate(counts)}
            f.name = max(counts, key=lambda n: (counts[n], n.split()[0] in self._first_names, -order[n]))
        return found


def find_quotes(text: str, found: list[_Found]) -> list[Quote]:
    """Sentences attributed with a speech verb ("– …, säger X") to a person found in ``text``.

    The speaker is the first person named right after the verb, else one whose surname is
    ("…, säger Proos"), else, for "säger hon/han", the speaker of the quote before.
    """
    surnames = {f.name.split()[-1].casefold(): f.name for f in found}
    span_starts = [sorted(s for s, _ in f.spans) for f in found]
    quotes: list[Quote] = []
    last_speaker: str | None = None
    for m in _QUOTE_LINE.finditer(text):
        tail_start, tail_end = m.span("tail")
        speaker: tuple[int, str] | None = None
        for f, starts in zip(found, span_starts, strict=True):
            at = bisect_left(starts, tail_start)  # the person's first mention after the verb
            if at < len(starts) and starts[at] < min(tail_end, tail_start + 160):
                if speaker is None or starts[at] < speaker[0]:
                    speaker = (starts[at], f.name)
        name = speaker[1] if speaker is not None else None
        if name is None:
            first_word = re.match(r"[\w-]+", m.group("tail"))
            word = first_word.group().casefold() if first_word else ""
            name = surnames.get(word) or (last_speaker if word in ("hon", "han", "hen") else None)
        if name is None:
            continue
        quote = m.group("q").strip().strip("”\"“»«").strip()
        if quote:
            quotes.append(Quote(person=name, text=quote))
            last_speaker = name
    return quotes


def to_records(found: list[_Found]) -> list[Person]:
    return [Person(name=f.name, party=f.party, role=f.role) for f in found]
