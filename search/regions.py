""""Which regions address X?" — counties (län), strongest first, each backed by evidence.

A researcher's question is answered from two signals, and every county listed must be
backed by at least one document:

1. *Focus-area labels*: the NLP stage labels documents with taxonomy focus areas and
   target groups (``gambling`` …). A question that names one in Swedish or English
   ("spelberoende", "gambling addiction") is mapped to its slug by the taxonomy; labelled
   documents are strong evidence.
2. *Search relevance*: the question's semantic (vector) search results whose cosine
   similarity clears a threshold, both absolute and relative to the best hit, and whose
   document names every content word of the question. A question with no relevant
   document thus answers with no county rather than with the least irrelevant ones.
   Cosine is used rather than the hybrid RRF score because RRF scores are ranks in
   disguise: every corpus has a "best" document, relevant or not.

A county's strength is the sum of its evidence documents' weights (label 1.0 plus the
cosine). Precision and recall on a labelled set of questions over the demo corpus are
measured by ``bench/eval_regions.py`` (and pinned by tests/api/test_api_regions.py).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

from ingest.nlp import gazetteer
from ingest.nlp.taxonomy import load_taxonomy
from regionsok.errors import QueryError
from regionsok.records import Hit
from regionsok.store import Store
from regionsok.text import fold
from search.normalize import ENGLISH_STOPWORDS, SWEDISH_STOPWORDS, stem, tokenize
from search.service import SearchRequest

if TYPE_CHECKING:
    from search.service import SearchRequest, SearchResponse

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 500
# Search results considered per question; regions rarely need more than the top 50.
SEARCH_DEPTH = 50
# An unlabelled search hit is evidence when its document names every content word of the
# question and its cosine similarity reaches MIN_COSINE and lies within RELATIVE_MARGIN of
# the best hit. e5's cosines are compressed (unrelated passages ≈ 0.78–0.84, relevant ones
# ≈ 0.85–0.9), so cosine alone cannot tell "nothing relevant" from "something"; the words can.
# Calibrated with bench/eval_regions.py.
MIN_COSINE = 0.80
RELATIVE_MARGIN = 0.03
MAX_EVIDENCE = 3
#: A document about this many counties or more whose sentences are mostly figures is a
#: statistical comparison ("Så mycket lägger kommunerna på …"): it adds no county.
COMPARISON_COUNTIES = 3
#: What a regions question with neither a question nor a focus area is told.
NO_QUESTION_MESSAGE = "give q (a question, e.g. 'gambling addiction') or focus (a focus-area slug)"
#: Sentences with a percentage that make a text "statistics" (a press release about one
#: measure quotes one or two figures; a comparison of counties quotes one per county).
STATISTICS_SENTENCES = 3
_PERCENTAGE = re.compile(r"\d\s*%|\d\s*procent|\bprocent(?:enhet)?\b|\bper cent\b|\bpercent\b", re.IGNORECASE)


def is_statistics(text: str) -> bool:
    """Whether a text reads as figures: at least STATISTICS_SENTENCES sentences with a percentage."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    return sum(1 for sentence in sentences if _PERCENTAGE.search(sentence)) >= STATISTICS_SENTENCES
SNIPPET_CHARS = 240


class Searches(Protocol):
    """Anything that answers a search request (the service, or the API's locked wrapper)."""

    def search(self, request: SearchRequest) -> SearchResponse: ...


@dataclass(frozen=True, slots=True)
class Evidence:
    """A document that shows a county addresses the topic, with the passage that shows it."""

    doc_id: str
    url: str
    title: str
    snippet: str
    score: float
    labelled: bool


@dataclass(frozen=True, slots=True)
class CountyAnswer:
    code: str
    name: str
    documents: int
    strength: float
    evidence: tuple[Evidence, ...]


@dataclass(frozen=True, slots=True)
class RegionsAnswer:
    query: str
    focus_areas: tuple[str, ...]
    counties: tuple[CountyAnswer, ...]


def _taxonomy_terms(slugs: list[str]) -> dict[str, list[str]]:
    """slug → the words that name it (labels and synonyms, sv + en), to find a passage."""

    taxonomy = load_taxonomy()
    out: dict[str, list[str]] = {}
    for slug in slugs:
        concept = taxonomy.concepts.get(slug)
        terms = [slug.replace("_", " ")]
        if concept is not None:
            terms += concept.swedish_terms() + [concept.label_en, *concept.synonyms_en]
        out[slug] = [t.replace("*", "").strip() for t in terms if t.replace("*", "").strip()]
    return out


def concept_kinds() -> dict[str, str]:
    """Every taxonomy slug → its facet ('focus_area' or 'target_group')."""

    return {slug: str(c.kind) for slug, c in load_taxonomy().concepts.items()}


def _term_span(text: str, terms: list[str]) -> tuple[int, int] | None:
    """The longest span of ``text`` (folded) where one of ``terms`` occurs as whole words."""
    best: tuple[int, int] | None = None
    for term in terms:
        folded = fold(term.replace("*", ""))
        if not folded:
            continue
        tail = r"[\w-]*" if term.endswith("*") else r"\w{0,4}"
        for match in re.finditer(r"(?<![\w-])" + re.escape(folded) + tail + r"(?!\w)", text):
            if best is None or match.end() - match.start() > best[1] - best[0]:
                best = (match.start(), match.end())
    return best


def match_focus(query: str) -> list[str]:
    """The focus-area and target-group slugs a free-text question names (Swedish or English).

    A concept named only inside another concept's longer phrase is dropped: "gambling
    addiction" names *gambling*, not also *substance abuse* because of "addiction".
    """

    taxonomy = load_taxonomy()
    slugs = list(taxonomy.match_query(query))
    if len(slugs) < 2:
        return slugs
    text = fold(query)
    spans: dict[str, tuple[int, int] | None] = {}
    for slug in slugs:
        c = taxonomy.concepts[slug]
        spans[slug] = _term_span(text, [*c.synonyms_sv, c.label_sv, *c.synonyms_en, c.label_en, *c.acronyms])

    def inside_another(slug: str) -> bool:
        span = spans[slug]
        if span is None:
            return False
        return any(
            other != slug and (o := spans[other]) is not None and o[0] <= span[0] and span[1] <= o[1]
            and o[1] - o[0] > span[1] - span[0]
            for other in slugs
        )

    return [slug for slug in slugs if not inside_another(slug)]


def county_names() -> dict[str, str]:

    return dict(gazetteer.counties())


def _county_names(code: str, name: str) -> tuple[list[str], list[str]]:
    """(the names the schema lists, further forms a lookup accepts) of one county."""
    stem = name.removesuffix(" län")
    short = stem[:-1] if stem != name and stem.endswith("s") else stem
    listed = [code, name, short, f"Region {short}"]
    extra = [stem, f"Region {stem}", f"Region {name}"]
    return listed, extra


@lru_cache(maxsize=1)
def county_spellings() -> dict[str, str]:
    """The names of the 21 counties as written → SCB code, the forms the API's schema lists.

    The code ("05"), the county's name ("Östergötlands län"), its short name ("Östergötland"),
    "Region Östergötland" and the region's own name ("Västra Götalandsregionen").
    """

    out: dict[str, str] = {}
    for code, name in gazetteer.counties().items():
        for spelling in [*_county_names(code, name)[0], gazetteer.region_name(code)]:
            out.setdefault(spelling, code)
    return out


@lru_cache(maxsize=1)
def county_lookup() -> dict[str, str]:
    """Folded code/name/"Region X"/"X län"/"Xs" → code, for all 21 counties (case, å/ä/ö forgiven)."""

    out = {fold(spelling): code for spelling, code in county_spellings().items()}
    for code, name in gazetteer.counties().items():
        for spelling in _county_names(code, name)[1]:
            out.setdefault(fold(spelling), code)
    return out


def county_code(value: str) -> str:
    """The SCB code for a county given by code or name; QueryError when unknown."""
    lookup = county_lookup()
    folded = fold(value)
    if folded in lookup:
        return lookup[folded]
    if folded.isdigit() and len(folded) == 1 and f"0{folded}" in lookup:
        return lookup[f"0{folded}"]
    codes = sorted(set(lookup.values()))
    raise QueryError(f"county: unknown county {value!r}; use an SCB code ({', '.join(codes)}) or a county name")


def topic_passage(text: str, terms: list[str], limit: int = SNIPPET_CHARS) -> str | None:
    """The first sentence of ``text`` that names one of ``terms`` (folded), or None."""
    folded_terms = [fold(t) for t in terms if t]
    for sentence in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
        folded = fold(sentence)
        if any(term and term in folded for term in folded_terms):
            return _clip(sentence, limit)
    return None


def best_passage(text: str, terms: list[str], limit: int = SNIPPET_CHARS) -> str:
    """The first sentence of ``text`` that names one of ``terms`` (folded), else its opening."""
    found = topic_passage(text, terms, limit)
    if found is not None:
        return found
    sentences = re.split(r"(?<=[.!?])\s+", " ".join(text.split()))
    return _clip(sentences[0] if sentences else "", limit)


def words_of(query: str | None) -> list[str]:
    """The question's content words as written (for finding a passage that names them)."""
    if not query:
        return []

    return [t for t in tokenize(query) if len(t) >= 5 and t not in SWEDISH_STOPWORDS and t not in ENGLISH_STOPWORDS]


def content_words(query: str) -> list[str]:
    """The question's words that carry its subject, as folded stems (stopwords dropped)."""

    out: dict[str, None] = {}
    for token in tokenize(query):
        if token in SWEDISH_STOPWORDS or token in ENGLISH_STOPWORDS or len(token) < 3 or token.isdigit():
            continue
        stemmed = stem(token)
        out[fold(stemmed if len(stemmed) >= 4 and token.startswith(stemmed) else token)] = None
    return list(out)


def mentions_all(text: str, words: list[str]) -> bool:
    """Whether ``text`` has a word starting with each of ``words``, so inflections count
    ("kollektivtrafik" is in "kollektivtrafiken"); a long word may also end a compound
    ("busslinj" is in "regionbusslinjer")."""
    folded = fold(text)
    return all(
        (word in folded) if len(word) >= 6 else re.search(r"(?<![\w])" + re.escape(word), folded) is not None
        for word in words
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def which_regions(
    searcher: Searches,
    store: Store,
    query: str | None = None,
    *,
    focus: str | None = None,
    max_evidence: int = MAX_EVIDENCE,
) -> RegionsAnswer:
    """Counties whose documents address the question, strongest first, each with evidence.

    Raises QueryError for an empty or over-long question or an unknown focus area.
    """

    query = " ".join((query or "").split())
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"q: at most {MAX_QUERY_CHARS} characters (got {len(query)})")
    kinds = concept_kinds()
    if focus:
        if focus not in kinds:
            raise QueryError(f"focus: unknown focus area {focus!r}; known: {', '.join(sorted(kinds))}")
        slugs = [focus]
    elif query:
        slugs = match_focus(query)
    else:
        raise QueryError(NO_QUESTION_MESSAGE)

    terms = _taxonomy_terms(slugs)
    # Documents labelled with *every* concept the question names ("mental health of young
    # people" → mental_health and children_and_young_people): the question asks about both.
    labelled: set[str] | None = None
    for slug in slugs:
        facet = kinds.get(slug, "focus_area")
        docs = set(store.docs_with_facet(facet, [fold(slug)]))
        labelled = docs if labelled is None else labelled & docs
    labelled = labelled or set()

    hits: dict[str, Hit] = {}
    if query:
        # Cosine similarity says how close a passage is; the words say whether the question's
        # subject is really there. An unlabelled document is evidence only when it names
        # every content word of the question and its passage is near the best one.
        vector = searcher.search(SearchRequest(query=query, k=SEARCH_DEPTH, mode="vector"))
        top = max((h.score for h in vector.hits), default=0.0)
        words = content_words(query)
        near = [h for h in vector.hits if h.score >= max(MIN_COSINE, top - RELATIVE_MARGIN)]
        near_texts = store.document_texts([h.doc_id for h in near if h.doc_id not in labelled])
        candidate_texts = {h.doc_id: f"{h.title}\n{near_texts[h.doc_id]}" for h in near if h.doc_id in near_texts}
        for hit in vector.hits:
            if hit.doc_id in labelled:
                hits[hit.doc_id] = hit
            elif hit.doc_id in candidate_texts and words and mentions_all(candidate_texts[hit.doc_id], words):
                hits[hit.doc_id] = hit

    doc_ids = sorted(set(labelled) | set(hits))
    briefs = store.document_briefs(doc_ids)
    texts = store.document_texts(list(briefs))
    all_terms = [t for ts in terms.values() for t in ts] + ([query] if query else []) + words_of(query)

    per_county: dict[str, list[Evidence]] = {}
    for doc_id, brief in briefs.items():
        found = hits.get(doc_id)
        is_labelled = doc_id in labelled
        weight = (1.0 if is_labelled else 0.0) + (found.score if found else 0.0)
        # The evidence is a passage of the document's own text that names the topic; a
        # document with none (the label came from elsewhere in a long page, or the title
        # alone) shows nothing to a reader and is no evidence.
        snippet = topic_passage(texts.get(doc_id, ""), all_terms)
        if snippet is None:
            continue
        counties = brief.counties
        if len(counties) >= COMPARISON_COUNTIES and is_statistics(texts.get(doc_id, "")):
            # A text that compares several counties by figures shows none of them doing the
            # thing (LABELS.md: documents that only give statistics add no county).
            continue
        evidence = Evidence(
            doc_id=doc_id,
            url=brief.url,
            title=brief.title,
            snippet=snippet,
            score=round(weight, 4),
            labelled=is_labelled,
        )
        for code in dict.fromkeys(counties):
            per_county.setdefault(code, []).append(evidence)

    names = county_names()
    answers = []
    for code, backing in per_county.items():
        if code not in names:
            continue  # only real län; a stray value is not an answer
        backing.sort(key=lambda e: (-e.score, e.doc_id))
        answers.append(
            CountyAnswer(
                code=code,
                name=names[code],
                documents=len(backing),
                strength=round(sum(e.score for e in backing), 4),
                evidence=tuple(backing[:max_evidence]),
            )
        )
    answers.sort(key=lambda c: (-c.strength, c.code))
    return RegionsAnswer(query=query, focus_areas=tuple(slugs), counties=tuple(answers))
