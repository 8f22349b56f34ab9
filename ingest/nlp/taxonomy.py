"""The taxonomy of focus areas and target groups, and matching it in documents and queries.

Slugs are fixed by the project; labels and synonyms in Swedish and English live in
``ingest/data/taxonomy.json``. Swedish synonyms are written as words: each may carry a short
inflection ending in a text ("missbruket", "psykiska"), and a trailing ``*`` allows a
compound tail ("missbruk*" → "missbruksvården"), which is how Swedish forms new words.
The search engine uses :meth:`Taxonomy.match_query` and :meth:`Taxonomy.expand_query` so that
an English query ("gambling addiction") also finds Swedish text ("spelberoende").
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from regionsok.errors import ConfigError

ConceptKind = Literal["focus_area", "target_group"]

TAXONOMY_FILE = Path(__file__).resolve().parent.parent / "data" / "taxonomy.json"

# Endings a Swedish noun or adjective takes without becoming another word: definite, plural,
# genitive and participle forms ("missbruk-et", "anhörig-a", "behandlingshem-men").
_INFLECTION = r"(?:a|e|t|n|s|en|et|er|ar|or|na|ns|ts|es|ers|ens|ets|ets|are|arna|erna|orna|ande|ade|ad|men|mens)?"


@dataclass(frozen=True, slots=True)
class Concept:
    """One focus area or target group."""

    slug: str
    kind: ConceptKind
    label_sv: str
    label_en: str
    synonyms_sv: tuple[str, ...]
    synonyms_en: tuple[str, ...]
    acronyms: tuple[str, ...] = ()
    patterns_sv: tuple[str, ...] = ()
    exclude_sv: tuple[str, ...] = ()

    def swedish_terms(self) -> list[str]:
        """The label and synonyms as plain words (without the ``*`` marks)."""
        seen: dict[str, None] = {}
        for term in (self.label_sv.lower(), *self.synonyms_sv, *self.acronyms):
            seen.setdefault(term.replace("*", "").strip(), None)
        return [t for t in seen if t]


def _term_regex(term: str) -> str:
    """A regex for one Swedish synonym: each word with an inflection ending or a ``*`` tail.

    A leading ``*`` also allows a compound head before the word ("*psykiatri*" →
    "ungdomspsykiatrin", "barn- och ungdomspsykiatrin").
    """
    words = term.lower().split()
    prefix = r"(?<![\w-])"
    if words and words[0].startswith("*"):
        words[0] = words[0][1:]
        prefix = r"(?<![\w-])[\w-]*?"
    parts: list[str] = []
    for word in words:
        if word.endswith("*"):
            parts.append(re.escape(word[:-1]) + r"[\w-]*")
        else:
            parts.append(re.escape(word) + _INFLECTION)
    return prefix + r"\s+".join(parts) + r"(?![\w])"


def _english_regex(term: str) -> str:
    words = [re.escape(w) for w in term.lower().split()]
    return r"(?<![\w-])" + r"\s+".join(words) + r"(?:s|es)?(?![\w])"


@dataclass(frozen=True)
class _CompiledConcept:
    concept: Concept
    # Each synonym's regex behind its first word as a literal: a cheap ``in`` test skips the
    # regex for the many synonyms a text cannot contain.
    terms: tuple[tuple[str, re.Pattern[str]], ...]
    patterns: re.Pattern[str] | None
    acronyms: re.Pattern[str] | None
    english: re.Pattern[str]
    exclude: re.Pattern[str] | None


class Taxonomy:
    """Focus areas and target groups with matchers for documents (Swedish) and queries (sv + en)."""

    def __init__(self, concepts: Iterable[Concept]) -> None:
        self.concepts: dict[str, Concept] = {}
        self._compiled: list[_CompiledConcept] = []
        for c in concepts:
            if c.slug in self.concepts:
                raise ConfigError(f"taxonomy slug {c.slug!r} is defined twice")
            self.concepts[c.slug] = c
            terms = tuple(
                (t.lower().split()[0].strip("*"), _term_regex(t)) for t in (*c.synonyms_sv, c.label_sv) if t.strip()
            )
            # Longest first, so an alternation reports "gambling addiction", not "gambling".
            en = [_english_regex(t) for t in sorted((*c.synonyms_en, c.label_en), key=len, reverse=True)]
            try:
                self._compiled.append(
                    _CompiledConcept(
                        concept=c,
                        terms=tuple((needle, re.compile(rx)) for needle, rx in terms),
                        patterns=re.compile("|".join(c.patterns_sv)) if c.patterns_sv else None,
                        acronyms=re.compile(r"\b(?:" + "|".join(map(re.escape, c.acronyms)) + r")\b")
                        if c.acronyms
                        else None,
                        english=re.compile("|".join(en)),
                        exclude=re.compile("|".join(c.exclude_sv)) if c.exclude_sv else None,
                    )
                )
            except re.error as err:
                raise ConfigError(f"taxonomy concept {c.slug!r} has an invalid pattern: {err}") from err

    def __getitem__(self, slug: str) -> Concept:
        return self.concepts[slug]

    def slugs(self, kind: ConceptKind | None = None) -> list[str]:
        """Slugs in file order, optionally of one kind."""
        return [s for s, c in self.concepts.items() if kind is None or c.kind == kind]

    def match_document(
        self, text: str, *, lemmas: Sequence[tuple[int, str]] = (), only: Collection[str] | None = None
    ) -> list[str]:
        """Slugs mentioned in a Swedish document (its raw text, and optionally its lemmas).

        ``text`` keeps its case (acronyms such as SIP are matched on it); the synonyms are
        matched on its lower-cased form and on the lemmas — ``(offset in text, lemma)`` per
        word — which catch forms the inflection endings miss. A concept's exclusions are
        found in the text, and the lemmas of words inside them are left out for that concept
        ("spelet om pengarna" is politics, even though its lemmas read "spel om pengar").
        """
        lowered = text.lower()
        lemma_text = " ".join(lemma for _, lemma in lemmas).lower()
        found: list[str] = []
        for cc in self._compiled:
            if only is not None and cc.concept.slug not in only:
                continue  # ``only``: the caller asks about these slugs alone
            if self._hits(cc, lowered) or (lemmas and self._hits(cc, self._lemmas_outside_exclusions(cc, lowered,
                                                                                                  lemmas, lemma_text))):
                found.append(cc.concept.slug)
            elif cc.acronyms is not None and cc.acronyms.search(text):
                found.append(cc.concept.slug)
        return found

    @staticmethod
    def _lemmas_outside_exclusions(
        cc: _CompiledConcept, lowered: str, lemmas: Sequence[tuple[int, str]], lemma_text: str
    ) -> str:
        if cc.exclude is None:
            return lemma_text
        excluded = [m.span() for m in cc.exclude.finditer(lowered)]
        if not excluded:
            return lemma_text
        starts = [s for s, _ in excluded]  # finditer spans are sorted and disjoint

        def inside(offset: int) -> bool:
            at = bisect_right(starts, offset)
            return at > 0 and offset < excluded[at - 1][1]

        return " ".join(lemma for offset, lemma in lemmas if not inside(offset)).lower()

    @staticmethod
    def _hits(cc: _CompiledConcept, lowered: str) -> bool:
        for needle, regex in cc.terms:
            if needle in lowered and Taxonomy._kept(cc, lowered, regex):
                return True
        return cc.patterns is not None and Taxonomy._kept(cc, lowered, cc.patterns)

    @staticmethod
    def _kept(cc: _CompiledConcept, lowered: str, regex: re.Pattern[str]) -> bool:
        """Whether ``regex`` matches somewhere not covered by one of the concept's exclusions."""
        for m in regex.finditer(lowered):
            if cc.exclude is None:
                return True
            window_start = max(0, m.start() - 40)
            window = lowered[window_start : m.end() + 40]
            if not any(
                e.start() <= m.start() - window_start and e.end() >= m.end() - window_start
                for e in cc.exclude.finditer(window)
            ):
                return True
        return False

    def match_query(self, text: str) -> list[str]:
        """Slugs whose Swedish or English labels/synonyms occur in a free-text search query.

        A phrase inside a longer phrase of another concept does not count for its own:
        "gambling addiction" names gambling, not also addiction in general.
        """
        lowered = text.lower()
        spans: dict[str, list[tuple[int, int]]] = {}
        for cc in self._compiled:
            found = [m.span() for m in cc.english.finditer(lowered)]
            for needle, regex in cc.terms:
                if needle in lowered:
                    found += [m.span() for m in regex.finditer(lowered)]
            if cc.patterns is not None:
                found += [m.span() for m in cc.patterns.finditer(lowered)]
            if cc.acronyms is not None:
                found += [m.span() for m in cc.acronyms.finditer(text)]
            if found:
                spans[cc.concept.slug] = found

        def inside_longer(slug: str, span: tuple[int, int]) -> bool:
            return any(
                other != slug and s <= span[0] and span[1] <= e and (e - s) > (span[1] - span[0])
                for other, others in spans.items()
                for s, e in others
            )

        return [slug for slug, found in spans.items() if any(not inside_longer(slug, sp) for sp in found)]

    def expand_query(self, text: str) -> list[str]:
        """Swedish terms for the concepts a query names, so English queries can hit Swedish text."""
        seen: dict[str, None] = {}
        for slug in self.match_query(text):
            for term in self.concepts[slug].swedish_terms():
                seen.setdefault(term, None)
        return list(seen)


def _concept(raw: dict[str, object]) -> Concept:
    def strings(key: str) -> tuple[str, ...]:
        value = raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"taxonomy concept {raw.get('slug')!r}: {key} must be a list of strings")
        return tuple(value)

    kind = raw.get("kind")
    if kind not in ("focus_area", "target_group"):
        raise ConfigError(f"taxonomy concept {raw.get('slug')!r}: kind must be focus_area or target_group")
    return Concept(
        slug=str(raw["slug"]),
        kind=kind,  # type: ignore[arg-type]
        label_sv=str(raw["label_sv"]),
        label_en=str(raw["label_en"]),
        synonyms_sv=strings("synonyms_sv"),
        synonyms_en=strings("synonyms_en"),
        acronyms=strings("acronyms"),
        patterns_sv=strings("patterns_sv"),
        exclude_sv=strings("exclude_sv"),
    )


def parse_taxonomy(text: str) -> Taxonomy:
    """A taxonomy from the JSON text of a taxonomy file (ConfigError when it is malformed)."""
    try:
        data = json.loads(text)
        return Taxonomy(_concept(raw) for raw in data["concepts"])
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise ConfigError(f"taxonomy file is malformed: {err}") from err


@lru_cache(maxsize=1)
def load_taxonomy() -> Taxonomy:
    """The bundled taxonomy (ingest/data/taxonomy.json), loaded once."""
    text = TAXONOMY_FILE.read_text(encoding="utf-8")
    return parse_taxonomy(text)
