"""People lookup: who is this, which parties and roles, which documents, what did they say.

Journalists type names the way they remember them: without å/ä/ö on an English keyboard
("Akesson"), in any case, sometimes misspelt ("Åkersson"), or only the surname. Names are
therefore compared *folded* (case- and diacritics-free) and *fuzzily*, token by token, so
"holmqvist" finds "Torbjörn Holmqvist" and "Torbjorn Holmkvist" does too. The candidate
names come from the store's ``person`` facet (a few thousand at most), so a linear scan
with difflib is fast enough and needs no extra dependency.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from regionsok.errors import QueryError
from regionsok.records import Extraction, Person
from regionsok.store import Store
from regionsok.text import fold  # the store's ``norm`` form: 'Åkesson' → 'akesson'

log = logging.getLogger(__name__)

MAX_NAME_CHARS = 200
# Token similarity at or above which two name parts count as the same (Åkersson ~ Åkesson: 0.93;
# Holmqvist ~ Holmkvist: 0.89; Andersson ~ Svensson: 0.75, rejected).
TOKEN_THRESHOLD = 0.82
# Whole-name similarity for a match even when tokens are split or joined differently.
NAME_THRESHOLD = 0.86


def _tokens(text: str) -> list[str]:
    """The folded words of a name ("Anna-Karin" → anna, karin); punctuation is not a word."""
    return re.findall(r"[^\W_]+", fold(text))


def has_letter(name: str) -> bool:
    """Whether ``name`` has a letter to match on ("1" and "!!!" have none)."""
    return re.search(r"[^\W\d_]", fold(name)) is not None


def _similar(a: str, b: str) -> float:
    return 1.0 if a == b else SequenceMatcher(None, a, b, autojunk=False).ratio()


def name_score(query: str, name: str) -> float:
    """How well a typed name matches a known name, 0..1 (0 = no match).

    Every query token must match some name token (so "Holmqvist" matches the full name but
    "Anna Holmqvist" does not match "Torbjörn Holmqvist"); a one-letter token matches an
    initial. The score is the mean token similarity, slightly lower for partial names.
    """
    return _score_tokens(_tokens(query), name)


def _score_tokens(q_tokens: list[str], name: str) -> float:
    """``name_score`` with the query already split into folded tokens (scored against many names)."""
    n_tokens = _tokens(name)
    if not q_tokens or not n_tokens:
        return 0.0
    whole = _similar(" ".join(q_tokens), " ".join(n_tokens))
    token_scores: list[float] = []
    for q in q_tokens:
        if len(q) == 1:
            best = 1.0 if any(t.startswith(q) for t in n_tokens) else 0.0
        else:
            best = max(_similar(q, t) for t in n_tokens)
        if best < TOKEN_THRESHOLD:
            token_scores = []
            break
        token_scores.append(best)
    by_tokens = 0.0
    if token_scores:
        coverage = min(1.0, len(q_tokens) / len(n_tokens))
        by_tokens = sum(token_scores) / len(token_scores) * (0.9 + 0.1 * coverage)
    by_whole = whole if whole >= NAME_THRESHOLD else 0.0
    return round(max(by_tokens, by_whole), 4)


@dataclass(frozen=True, slots=True)
class PersonDocument:
    """One document in which a person appears, with what they were quoted as saying."""

    doc_id: str
    url: str
    title: str
    published: str | None
    kind: str
    quotes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class PersonAnswer:
    """One person, as gathered across documents: the same name in other counties or parties
    is another person (see :func:`_people_of`)."""

    name: str
    score: float
    parties: tuple[str, ...]
    roles: tuple[str, ...]
    documents: tuple[PersonDocument, ...] = field(default_factory=tuple)
    counties: tuple[str, ...] = ()  # the counties of the documents behind this person
    role_counties: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role → its documents' counties


@dataclass(slots=True)
class _Mention:
    """One document's view of a name: the party and role it gives, and where it is."""

    document: PersonDocument
    party: str | None
    roles: tuple[str, ...]
    counties: frozenset[str]


@dataclass(slots=True)
class _Person:
    party: str | None = None
    counties: set[str] = field(default_factory=set)
    mentions: list[_Mention] = field(default_factory=list)

    def admits(self, mention: _Mention) -> bool:
        """Whether the mention can be this person: no other party, and a shared county (or none known)."""
        parties_agree = self.party is None or mention.party is None or self.party == mention.party
        places_agree = not self.counties or not mention.counties or bool(self.counties & mention.counties)
        return parties_agree and places_agree

    def add(self, mention: _Mention) -> None:
        self.party = self.party or mention.party
        self.counties |= mention.counties
        self.mentions.append(mention)


def _people_of(mentions: list[_Mention]) -> list[_Person]:
    """Mentions of one name grouped into people.

    Two documents are the same person unless they say otherwise: a different party, or
    counties that do not overlap (a "Anna Berg (S)" in Kalmar and an "Anna Berg (M)" in Umeå
    are two people; a document naming no party or no place joins the person it fits). A
    document that names both places links them. Mentions with a party are placed first, so a
    party-less mention joins a person rather than founding one.
    """
    people: list[_Person] = []
    ordered = sorted(mentions, key=lambda m: (m.party is None, -len(m.counties), m.document.published or "",
                                              m.document.doc_id))
    for mention in ordered:
        fitting = [p for p in people if p.admits(mention)]
        if fitting:
            fitting[0].add(mention)
        else:
            person = _Person()
            person.add(mention)
            people.append(person)
    return people


def _same_person(candidate: str, name: str) -> bool:
    """Whether an extraction's person/quote name refers to ``name`` (full name or surname)."""
    c, n = _tokens(candidate), _tokens(name)
    if not c or not n:
        return False
    return c == n or (len(c) == 1 and c[0] == n[-1])


def _quotes_of(extraction: Extraction, name: str) -> tuple[str, ...]:
    return tuple(q.text for q in extraction.quotes if _same_person(q.person, name))


def _mentions(extraction: Extraction, name: str) -> list[Person]:
    return [p for p in extraction.people if _same_person(p.name, name)]


def find_people(store: Store, query: str, *, limit: int = 10) -> list[PersonAnswer]:
    """People whose names match ``query``, best first, each with documents, parties and quotes.

    Raises QueryError on an empty or over-long name (the API answers 422).
    """
    query = " ".join(query.split())
    if not query:
        raise QueryError("name: give a person's name, e.g. 'Torbjörn Holmqvist'")
    if len(query) > MAX_NAME_CHARS:
        raise QueryError(f"name: at most {MAX_NAME_CHARS} characters (got {len(query)})")
    q_tokens = _tokens(query)
    if not has_letter(query):
        raise QueryError("name: give a person's name with letters, e.g. 'Holmqvist'")

    # Group the facet's spellings by folded name: "Torbjörn Holmqvist" and "Torbjorn
    # Holmqvist" in two documents are one person; the most frequent spelling is shown.
    rows = store.facet_values("person")
    scored: dict[str, tuple[float, str, int]] = {}
    for row in rows:
        score = _score_tokens(q_tokens, row["value"])
        if score <= 0.0:
            continue
        key = row["norm"]  # the folded name, as stored
        best = scored.get(key)
        if best is None or row["documents"] > best[2]:
            scored[key] = (max(score, best[0] if best else 0.0), row["value"], row["documents"])
    if not scored:
        return []
    ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], -kv[1][2], kv[1][1]))[:limit]

    answers: list[PersonAnswer] = []
    for key, (score, display, _) in ranked:
        doc_ids = list(store.docs_with_facet("person", [key]))  # every spelling folds to ``key``
        briefs = store.document_briefs(doc_ids)
        extractions = store.extractions_for(list(briefs))
        mentions: list[_Mention] = []
        for doc_id, brief in briefs.items():
            extraction = extractions.get(doc_id)
            found = _mentions(extraction, display) if extraction is not None else []
            document = PersonDocument(
                doc_id=doc_id, url=brief.url, title=brief.title, published=brief.published,
                kind=brief.kind, quotes=_quotes_of(extraction, display) if extraction is not None else (),
            )
            mentions.append(_Mention(
                document=document,
                party=next((p.party for p in found if p.party), None),
                roles=tuple(dict.fromkeys(p.role for p in found if p.role)),
                counties=frozenset(brief.counties),
            ))
        for person in _people_of(mentions):
            answers.append(_answer(display, score, person))
    answers.sort(key=lambda a: (-a.score, -len(a.documents), a.name))
    return answers[:limit]


def _answer(name: str, score: float, person: _Person) -> PersonAnswer:
    documents = sorted((m.document for m in person.mentions), key=lambda d: (d.published or "", d.doc_id),
                       reverse=True)
    parties = tuple(dict.fromkeys(m.party for m in person.mentions if m.party))
    role_counties: dict[str, set[str]] = {}
    for mention in person.mentions:
        for role in mention.roles:
            role_counties.setdefault(role, set()).update(mention.counties)
    return PersonAnswer(
        name=name, score=score, parties=parties, roles=tuple(role_counties), documents=tuple(documents),
        counties=tuple(sorted(person.counties)),
        role_counties={role: tuple(sorted(c)) for role, c in role_counties.items()},
    )
