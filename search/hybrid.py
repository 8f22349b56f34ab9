"""Query analysis, language-aware fusion of vector and keyword results, and snippets.

Why language-aware: the documents are Swedish. A Swedish query gets two useful kinds of
ranking (meaning from the vectors, exact terms from BM25) and reciprocal rank fusion lifts
documents both agree on. An English query's words almost never occur in Swedish text, so
a keyword ranking of them is noise, and plain RRF lets that noise pull good vector results
down (bench/eval_search.py shows it). So the keyword side is several rankings, each with
its own weight per query language (:data:`FUSION_WEIGHTS`):

- ``words``: the query's own words as whole-word Swedish terms (Swedish queries only);
- ``parts``: the compound parts of those words, a weaker backoff ("självmord" for
  "självmordsförebyggande"), so a frequent part cannot outrank the whole compound;
- ``concept:<slug>``: the Swedish terms of each taxonomy concept the query names
  ("gambling addiction" → spelberoende*, spelmissbruk*, …), the concepts sharing one
  weight, so a document covering all of them wins over one covering a single concept;
- ``names``: an English query's names and numbers ("Östergötland", "30").

Fusion is weighted RRF: ``score(d) = Σ w_list / (k + rank_list(d))``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ingest.language import detect_language, load_detector
from ingest.nlp.taxonomy import load_taxonomy
from search.chunking import split_sentences
from search.normalize import (
    ENGLISH_STOPWORDS,
    SWEDISH_STOPWORDS,
    known,
    load_dictionaries,
    query_terms,
    terms_for_word,
    tokenize,
)
from search.normalize import words as words_as_written

RRF_K = 60  # the classic reciprocal-rank-fusion offset; FusionWeights.rrf_k overrides it


# -- query language -------------------------------------------------------------------------


def load_query_analysis() -> None:
    """Load now what analysing a query otherwise reads on first use.

    Both languages' dictionaries (about a second), the language detector a tied query falls
    back to, and the taxonomy: a server calls this at startup, so its first search costs what
    every other one does.
    """
    load_dictionaries(("sv", "en"))
    load_detector()
    load_taxonomy()


def detect_query_language(text: str) -> str:
    """'sv', 'en' or 'other' for a (possibly two-word) query.

    Short queries defeat statistical detectors, so words decide first: Swedish letters,
    stopwords, and which language's dictionary (simplemma's) knows more of the words.
    Only when that is a tie does the lead's document-language detector decide.
    """
    words = [w for w in tokenize(text) if not w.isdigit()]
    if not words:
        return "other"
    if any(c in text for c in "åäöÅÄÖ"):
        return "sv"
    sv = sum(w in SWEDISH_STOPWORDS for w in words) * 2
    en = sum(w in ENGLISH_STOPWORDS for w in words) * 2
    for w in words:
        in_sv, in_en = known(w, "sv"), known(w, "en")
        sv += in_sv and not in_en
        en += in_en and not in_sv
    if sv != en:
        return "sv" if sv > en else "en"
    return str(detect_language(text))


# -- taxonomy expansion ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Expansion:
    """What the taxonomy recognised in a query: concept slugs and each one's Swedish terms."""

    slugs: tuple[str, ...] = ()
    terms: tuple[tuple[str, ...], ...] = ()  # per slug, in the same order


def taxonomy_slugs(kind: str) -> set[str]:
    """The taxonomy's slugs of one kind ("focus_area", "target_group").

    The taxonomy ships in the package: a broken one raises ``ConfigError`` here (and is read
    again on the next call, ``load_taxonomy`` keeps only a success) rather than letting
    filters accept any slug.
    """
    return set(load_taxonomy().slugs(kind))  # type: ignore[arg-type]


def expand_query(text: str) -> Expansion:
    """Taxonomy concepts named in ``text`` (English or Swedish) and the Swedish terms of each."""
    taxonomy = load_taxonomy()
    slugs = tuple(taxonomy.match_query(text))
    terms = tuple(tuple(taxonomy[s].swedish_terms()) for s in slugs)
    return Expansion(slugs=slugs, terms=terms)


# -- the analysed query -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FusionWeights:
    """RRF weight of each ranking, by query language (tuned with bench/eval_search.py).

    ``words``: the query's own words (whole-word terms); ``parts``: compound parts of those
    words (a backoff: "självmord" for "självmordsförebyggande"); ``concepts``: the Swedish
    terms of the taxonomy concepts the query names, shared evenly between the concepts (so a
    document covering every concept of "gambling addiction" beats one covering one);
    ``names``: an English query's capitalised words and numbers ("Östergötland", "30").
    """

    vector: float
    words: float
    parts: float
    concepts: float
    names: float
    rrf_k: int = RRF_K  # RRF's rank offset: lower trusts the top ranks more


#: Tuned on tests/fixtures/search/dev_queries.jsonl with bench/eval_search.py: nDCG@10 is flat
#: around these values (rrf_k 10-30, parts 0.15-0.5, concepts 0.3-1.0 all within 0.005),
#: so they are round numbers from the middle of that plateau, not its sharpest peak.
FUSION_WEIGHTS: dict[str, FusionWeights] = {
    "sv": FusionWeights(vector=1.0, words=1.0, parts=0.3, concepts=0.5, names=0.0, rrf_k=20),
    "en": FusionWeights(vector=1.0, words=0.0, parts=0.0, concepts=0.8, names=0.15, rrf_k=20),
    "other": FusionWeights(vector=1.0, words=0.5, parts=0.15, concepts=0.5, names=0.0, rrf_k=20),
}

#: The naive baseline bench/eval_search.py compares against: classic RRF (k=60) of the vector
#: ranking and one keyword ranking of the query's own words, the same for every language.
PLAIN_RRF: dict[str, FusionWeights] = {
    lang: FusionWeights(vector=1.0, words=1.0, parts=0.0, concepts=0.0, names=0.0, rrf_k=60)
    for lang in ("sv", "en", "other")
}


@dataclass(frozen=True, slots=True)
class KeywordQuery:
    """One keyword ranking to fuse: keyword expressions (FTS5 syntax, search.keyword reads it) and its weight."""

    label: str  # "words", "parts", "concept:<slug>", "names"
    terms: tuple[str, ...]  # expressions ORed together: '"barn"', '"spelberoend"*', '"psykisk häls"'
    weight: float


@dataclass(frozen=True, slots=True)
class QueryPlan:
    """How one query is searched: its language, keyword rankings, vector weight, snippet terms."""

    text: str
    language: str
    vector_weight: float
    keyword: tuple[KeywordQuery, ...]
    rrf_k: int = RRF_K
    highlight: tuple[str, ...] = ()  # index terms used to pick the snippet


def plan_query(text: str, language: str | None = None,
               weights: dict[str, FusionWeights] | None = None) -> QueryPlan:
    """Analyse a query: detect its language, expand it, build its keyword rankings."""
    language = language or detect_query_language(text)
    w = (weights or FUSION_WEIGHTS)[language if language in FUSION_WEIGHTS else "other"]
    expansion = expand_query(text)
    keyword: list[KeywordQuery] = []
    highlight: list[str] = []

    def add(label: str, terms: list[str], weight: float) -> None:
        terms = list(dict.fromkeys(t for t in terms if t))
        if terms and weight > 0:
            keyword.append(KeywordQuery(label, tuple(terms), weight))
            highlight.extend(t.strip('"*') for t in terms)

    groups = query_terms(text, english=language != "sv")
    add("words", [_quote(g[0]) for g in groups], w.words)
    add("parts", [_quote(p) for g in groups for p in g[1:]], w.parts)
    if language == "en":
        # English words stemmed as Swedish match almost nothing real, except names and
        # numbers ("Östergötland", "30"): those are kept as a weak ranking of their own.
        add("names", [_quote(terms_for_word(t.lower())[0]) for t in _content_tokens(text)
                      if t[:1].isupper() or t.isdigit()], w.names)
    for slug, terms in zip(expansion.slugs, expansion.terms, strict=True):
        add(f"concept:{slug}", list(_concept_terms(terms)), w.concepts / len(expansion.slugs))
    return QueryPlan(text=text, language=language, vector_weight=w.vector, keyword=tuple(keyword), rrf_k=w.rrf_k,
                     highlight=tuple(dict.fromkeys(highlight)))


def _concept_terms(terms: Sequence[str]) -> tuple[str, ...]:
    """A concept's keyword ranking: its Swedish terms as expressions, each once."""
    return tuple(dict.fromkeys(e for term in terms if (e := _concept_expression(term))))


def concept_rankings() -> tuple[tuple[str, ...], ...]:
    """Every concept's keyword ranking as a query names it (the keyword index ranks each one
    in full when a generation is written; a search then reads the head of it)."""
    taxonomy = load_taxonomy()
    return tuple(terms for concept in taxonomy.concepts.values() if (terms := _concept_terms(concept.swedish_terms())))


def concept_expressions() -> tuple[str, ...]:
    """Every keyword expression a taxonomy concept can add to a query (the keyword index
    precomputes their postings, so a concept ranking reads a few lists at search time)."""
    taxonomy = load_taxonomy()
    return tuple(dict.fromkeys(
        e for concept in taxonomy.concepts.values() for term in concept.swedish_terms()
        if (e := _concept_expression(term))))


def _quote(term: str) -> str:
    return '"' + term.replace('"', '""') + '"'


def _concept_expression(term: str) -> str | None:
    """A taxonomy term as FTS5: a one-word term as a prefix of its stem ("spelberoend"*
    also finds "spelberoendevård"), a several-word term as a phrase of its stems."""
    words = [t for t in tokenize(term) if t not in SWEDISH_STOPWORDS]
    if not words:
        return None
    stems = [terms_for_word(t)[0] for t in words]
    if len(stems) == 1:
        return _quote(stems[0]) + ("*" if len(stems[0]) >= 5 else "")
    return _quote(" ".join(stems))


_ALL_STOPWORDS = SWEDISH_STOPWORDS | ENGLISH_STOPWORDS


def _content_tokens(text: str) -> list[str]:
    """The query's non-stopword words as written (case kept, so names can be told apart)."""
    return [w for w in words_as_written(text) if w.lower() not in _ALL_STOPWORDS]


# -- snippets --------------------------------------------------------------------------------


#: Sentences a reader does not want as a result's passage: contact lines (phone numbers,
#: e-mail addresses) and the site's own notices (cookies, browser support) that extraction
#: left in. They stay in the document; the snippet skips them.
_PHONE = re.compile(r"(?:\+46|\b0\d{1,3})[\s-]?\d{2,3}(?:[\s-]?\d{2,3}){1,3}\b")  # 0480-84 000, 08-123 456 78, +46 …
_NOTICE = re.compile(r"\b(?:cookies?|kakor|internet explorer|javascript)\b|\bwebbläsare")  # on lower-cased text
#: Each pattern is tried only on a sentence holding the character it needs: a search's page
#: tests a hundred sentences, and from every position of a long sentence the e-mail pattern
#: scans the word ahead before failing (bench/api_load.py: a tenth of a millisecond a
#: sentence, the largest cost of a page before this).
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def is_clutter(sentence: str) -> bool:
    """Whether a sentence is a contact line (phone number, e-mail address) or a site notice
    (cookies, browser support) rather than content."""
    return (("0" in sentence or "+46" in sentence) and _PHONE.search(sentence) is not None) or (
        "@" in sentence and _EMAIL.search(sentence) is not None) or _NOTICE.search(sentence.lower()) is not None


#: Analysed chunks kept for their passages (a chunk's sentences and each one's terms depend on
#: its text alone): the same chunks come back on the next page, a filter or a sort of the same
#: search and for the next user's similar query. Analysing one cost ~0.25 ms, most of fetching a page.
SNIPPET_CACHE_SIZE = 2048


def make_snippet(chunk_text: str, title: str, highlight: Sequence[str], width: int = 300) -> str:
    """The passage of a chunk that best matches the query's terms, about ``width`` characters.

    Sentences are scored by how many distinct query terms they contain (in normalised
    form, so "spelberoendet" matches "spelberoende"); the best sentence and its neighbours
    fill the window. With no term match (an English query matched by meaning only) the
    chunk's opening is shown.
    """
    body = chunk_text
    if title and body.startswith(title):
        body = body[len(title):].lstrip()
    sentences, terms_of = _analysed(body)
    wanted = set(highlight)
    best, best_score = 0, 0
    for i, terms in enumerate(terms_of):
        score = len(terms & wanted)
        if score > best_score:
            best, best_score = i, score
    start = end = best
    text = sentences[best]
    while len(text) < width and (start > 0 or end < len(sentences) - 1):
        if end < len(sentences) - 1:
            end += 1
            text = text + " " + sentences[end]
        elif start > 0:
            start -= 1
            text = sentences[start] + " " + text
    text = " ".join(text.split())
    if len(text) > width + 60:
        text = text[:width].rsplit(" ", 1)[0] + " …"
    if start > 0:
        text = "… " + text
    return text


@lru_cache(maxsize=SNIPPET_CACHE_SIZE)
def _analysed(body: str) -> tuple[tuple[str, ...], tuple[frozenset[str], ...]]:
    """A chunk body's sentences as a passage may show them (clutter left out, unless that
    leaves none), and each one's index terms (each distinct word looked up once)."""
    sentences = [s for s in split_sentences(body) if not is_clutter(s)] or split_sentences(body) or [body]
    return tuple(sentences), tuple(frozenset().union(*map(terms_for_word, set(tokenize(s)))) for s in sentences)
