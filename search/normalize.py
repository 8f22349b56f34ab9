"""Swedish normalisation for the keyword index, shared by indexing and querying.

Generic tokenizers (FTS5's, tantivy's) know no Swedish morphology, so the keyword index gets pre-normalised text:
every word is lemmatised (simplemma) and then stemmed (Snowball Swedish). Either alone is
not enough: Snowball maps "spelberoende" and "spelberoendet" to different stems, and
simplemma does not know every inflected compound; lemma-then-stem makes
"överenskommelse/överenskommelsen/överenskommelser" and "spelberoende/spelberoendet" one
term each.

Swedish writes compounds as one word ("självmordsförebyggande", "primärvården"), so a
query for "självmord" would never match. Long words are therefore also split into two
known parts (with the linking "s" allowed), and the parts are indexed next to the whole
word: "spelberoende" is indexed as ``spelberoend spel beroend``. The whole word stays the
strongest match (it is rarer, so BM25 weighs it higher) while a part still matches.

The same :func:`normalize` runs on chunks at index time and on queries, so both sides
always agree; change it and the keyword index must be rebuilt (see ``NORMALIZER_VERSION``).
"""

from __future__ import annotations

import re
from functools import lru_cache

import simplemma
import snowballstemmer

# Bumped whenever normalize() output changes: the indexer re-normalises stored chunks.
NORMALIZER_VERSION = "1"

_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_MIN_COMPOUND = 8  # shorter words are almost never compounds worth splitting
_MIN_HEAD = 4
# Known words that are far more often prefixes than compound heads ("missbruk" is not a
# kind of "miss"; "överenskommelse" is not about "över").
_PREFIX_HEADS = frozenset({"miss", "över", "under", "efter", "till", "från", "bort", "själv", "sam", "mellan"})
_MIN_TAIL = 4

# Words too common to carry meaning in a keyword match. Kept short and explicit (no
# download); both languages, since English queries are keyword-searched too.
SWEDISH_STOPWORDS = frozenset(
    """
    alla allt att av blev bli blir blivit de dem den denna deras dess dessa det detta dig din dina
    ditt du där då efter ej eller en er era ert ett från för ha hade han hans har henne hennes hon
    honom hur här i icke ingen inom inte jag ju kan kunde man med mellan men mig min mina mitt mot
    mycket ni nu när någon något några och om oss på samma sedan sig sin sina sitta själv skulle
    som så sådan sådana till under upp ut utan vad var vara varför varit varje vars vart vem vi vid
    vilka vilkas vilken vilket vår våra vårt än är åt över också även ska skall sina bland genom
    """.split()
)
ENGLISH_STOPWORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers him his how i if in into is it its itself just me more
    most my no nor not now of off on once only or other our ours out over own same she should so
    some such than that the their theirs them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours what's which
    """.split()
)

_STEMMER = snowballstemmer.stemmer("swedish")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits; inner hyphens and apostrophes kept)."""
    return [w.lower() for w in _WORD.findall(text)]


def words(text: str) -> list[str]:
    """The words of ``text`` as written (hyphenated and apostrophe compounds kept whole)."""
    return _WORD.findall(text)  # whole matches: the pattern has no capturing group


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    return simplemma.lemmatize(word, lang="sv", greedy=True).lower()


@lru_cache(maxsize=200_000)
def known(word: str, lang: str = "sv") -> bool:
    """Whether simplemma's dictionary for ``lang`` knows ``word`` (cached: asked per token)."""
    return bool(simplemma.is_known(word, lang=lang))


def load_dictionaries(langs: tuple[str, ...] = ("sv", "en")) -> None:
    """Decode simplemma's dictionaries for ``langs`` now rather than on the first word asked.

    simplemma reads a dictionary lazily (Swedish and English together take about a second),
    so a server calls this at startup and its first search does not pay for it.
    """
    for lang in langs:
        simplemma.is_known("och", lang=lang)


def stem(word: str) -> str:
    """One word's index term: its Swedish lemma, stemmed."""
    return _STEMMER.stemWord(_lemma(word))


@lru_cache(maxsize=200_000)
def split_compound(word: str) -> tuple[str, str] | None:
    """Split a Swedish compound into two known words, or None.

    The split with the most balanced parts wins (a long head and a long tail are both more
    likely real words than a three-letter fragment); a linking "s" between the parts
    ("självmord·s·förebyggande") is dropped from the head.
    """
    lemma = _lemma(word)
    if len(lemma) < _MIN_COMPOUND or "-" in lemma:
        return None
    best: tuple[int, str, str] | None = None
    for i in range(_MIN_HEAD, len(lemma) - _MIN_TAIL + 1):
        head, tail = lemma[:i], lemma[i:]
        if not known(tail):
            continue
        heads = [head]
        if head.endswith("s") and len(head) > _MIN_HEAD:
            heads.append(head[:-1])
        for candidate in heads:
            if len(candidate) >= _MIN_HEAD and candidate not in _PREFIX_HEADS and known(candidate):
                balance = min(len(candidate), len(tail))
                if best is None or balance > best[0]:
                    best = (balance, candidate, tail)
                break
    if best is None:
        return None
    return best[1], best[2]


@lru_cache(maxsize=200_000)
def terms_for_word(word: str) -> tuple[str, ...]:
    """The index terms of one token: its stem, then the stems of its compound parts."""
    word = word.lower()
    if word.isdigit():
        return (word,)
    whole = stem(word)
    parts = split_compound(word)
    if parts is None:
        return (whole,)
    # Parts are already base forms: stem them without lemmatising again ("sam" is no "simma").
    part_stems = (_STEMMER.stemWord(p) for p in parts if p not in SWEDISH_STOPWORDS)
    extra = tuple(dict.fromkeys(s for s in part_stems if s != whole))
    return (whole, *extra)


def normalize(text: str) -> str:
    """Text as the keyword index stores it: space-separated Swedish terms, stopwords dropped."""
    out: list[str] = []
    for token in tokenize(text):
        if token in SWEDISH_STOPWORDS:
            continue
        out.extend(terms_for_word(token))
    return " ".join(out)


def query_terms(text: str, *, english: bool = False) -> list[tuple[str, ...]]:
    """A query's terms, grouped per word: ``(whole, part, part)`` alternatives each.

    Stopwords of Swedish (and of English when ``english``) are dropped. The keyword query
    built from this ORs everything: BM25 then rewards documents matching more and rarer
    terms, which is what a short researcher query wants.
    """
    groups: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for token in tokenize(text):
        if token in SWEDISH_STOPWORDS or (english and token in ENGLISH_STOPWORDS):
            continue
        terms = terms_for_word(token)
        if terms[0] in seen:
            continue
        seen.add(terms[0])
        groups.append(terms)
    return groups

