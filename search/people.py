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
    """One person, as gathered across documents."""

    name: str
    score: float
    parties: tuple[str, ...]
    roles: tuple[str, ...]
    documents: tuple[PersonDocument, ...] = field(default_factory=tuple)


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
    if not q_tokens:
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
        parties: dict[str, None] = {}
        roles: dict[str, None] = {}
        documents: list[PersonDocument] = []
        for doc_id, brief in briefs.items():
            extraction = extractions.get(doc_id)
            quotes: tuple[str, ...] = ()
            if extraction is not None:
                for person in _mentions(extraction, display):
                    if person.party:
                        parties[person.party] = None
                    if person.role:
                        roles[person.role] = None
                quotes = _quotes_of(extraction, display)
            documents.append(
                PersonDocument(
                    doc_id=doc_id,
                    url=brief["url"],
                    title=brief["title"],
                    published=brief["published"],
                    kind=brief["kind"],
                    quotes=quotes,
                )
            )
        documents.sort(key=lambda d: (d.published or "", d.doc_id), reverse=True)
        answers.append(
            PersonAnswer(
                name=display,
                score=score,
                parties=tuple(parties),
                roles=tuple(roles),
                documents=tuple(documents),
            )
        )
    return answers
