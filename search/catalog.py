"""What filters and facets read, as arrays: every live document and every indexed chunk's document.

Why: a filtered search used to ask SQLite for the allowed chunk ids (a join over documents
and facets for every search), and facet counts fetched a row per candidate document. At a
million chunks both cost more than ranking did. The catalog loads those columns once (per
index generation, and again when the store changes) into numpy arrays, so a filter is a
few vectorised comparisons and a facet count is a loop over the results alone.

It holds the same rules as the store's filter SQL it replaces: a document's counties are its
NLP county facets, else its source's county (:func:`regionsok.records.document_counties`);
organisations and people match on the folded value; a date bound excludes undated documents.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from regionsok.records import SearchFilters, document_counties
from regionsok.store import Store
from regionsok.text import fold

_FACETS = ("county", "focus_area", "target_group", "organisation", "person")
_EMPTY = np.empty(0, dtype=np.int32)


def _date_number(value: str | None) -> int:
    """``2024-03-01`` → 20240301 (−1 when undated or unreadable)."""
    if not value or len(value) < 10:
        return -1
    try:
        return int(value[:4]) * 10000 + int(value[5:7]) * 100 + int(value[8:10])
    except ValueError:
        return -1


@dataclass(frozen=True, slots=True)
class _Values:
    """Values per document as arrays (CSR): document i has ``codes[indptr[i]:indptr[i+1]]``."""

    names: tuple[str, ...]
    indptr: np.ndarray  # int64, len(documents) + 1
    codes: np.ndarray  # int32 index into names

    @classmethod
    def of(cls, per_document: Sequence[Sequence[str]]) -> _Values:
        names = tuple(sorted({v for values in per_document for v in values}))
        code = {name: i for i, name in enumerate(names)}
        indptr = np.zeros(len(per_document) + 1, dtype=np.int64)
        np.cumsum([len(values) for values in per_document], out=indptr[1:])
        codes = np.fromiter((code[v] for values in per_document for v in values), dtype=np.int32, count=int(indptr[-1]))
        return cls(names, indptr, codes)

    def counts(self, documents: np.ndarray) -> dict[str, int]:
        """How many of ``documents`` hold each value, most first (then by value)."""
        starts = self.indptr[documents]
        lengths = self.indptr[documents + 1] - starts
        total = int(lengths.sum())
        if not total:
            return {}
        # The positions of every value of every document, without a Python loop.
        positions = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths) + np.arange(total)
        counts = np.bincount(self.codes[positions], minlength=len(self.names))
        found = np.flatnonzero(counts)
        return {self.names[i]: int(counts[i]) for i in sorted(found.tolist(), key=lambda i: (-counts[i], self.names[i]))}


@dataclass(frozen=True, slots=True)
class Catalog:
    """Live documents (index = position) and the document of every chunk, as arrays."""

    doc_ids: tuple[str, ...]
    kinds: tuple[str, ...]
    published: np.ndarray  # int32 yyyymmdd, −1 undated
    languages: tuple[str | None, ...]
    counties: _Values  # per document (document_counties' rule)
    focus_areas: _Values
    kind_codes: _Values  # one value each: the kind
    years: _Values  # one value each, or none when undated
    postings: dict[tuple[str, str], np.ndarray]  # (facet, value or folded name) → document indexes
    chunk_vec_ids: np.ndarray  # int64 ascending
    chunk_docs: np.ndarray  # int32 document index of each, −1: a document that is not live

    @classmethod
    def load(cls, store: Store) -> Catalog:
        documents = store.live_document_columns()
        index = {row[0]: i for i, row in enumerate(documents)}
        facets: dict[str, dict[str, list[str]]] = {}
        postings: dict[tuple[str, str], list[int]] = {}
        for doc_id, facet, value, norm in store.document_facet_rows(_FACETS):
            i = index.get(doc_id)
            if i is None:
                continue
            facets.setdefault(doc_id, {}).setdefault(facet, []).append(value)
            if facet in ("organisation", "person"):
                postings.setdefault((facet, norm or fold(value)), []).append(i)
            elif facet != "county":
                postings.setdefault((facet, value), []).append(i)
        counties = []
        for i, (doc_id, _, _, _, county_code) in enumerate(documents):
            own = tuple(document_counties(facets.get(doc_id, {}), county_code))
            counties.append(own)
            for county in own:
                postings.setdefault(("county", county), []).append(i)
        vec_ids, chunk_doc_ids = store.chunk_documents()
        chunk_docs = np.fromiter((index.get(d, -1) for d in chunk_doc_ids), dtype=np.int32, count=len(chunk_doc_ids))
        order = np.argsort(vec_ids, kind="stable")
        published = np.array([_date_number(row[2]) for row in documents], dtype=np.int32)
        return cls(
            doc_ids=tuple(row[0] for row in documents),
            kinds=tuple(row[1] for row in documents),
            published=published,
            languages=tuple(row[3] for row in documents),
            counties=_Values.of(counties),
            focus_areas=_Values.of([facets.get(row[0], {}).get("focus_area", ()) for row in documents]),
            kind_codes=_Values.of([(row[1],) if row[1] else () for row in documents]),
            years=_Values.of([(str(p // 10000),) if p >= 0 else () for p in published.tolist()]),
            postings={key: np.unique(np.array(docs, dtype=np.int32)) for key, docs in postings.items()},
            chunk_vec_ids=np.asarray(vec_ids, dtype=np.int64)[order],
            chunk_docs=chunk_docs[order],
        )

    def __len__(self) -> int:
        return len(self.doc_ids)

    # -- filters --------------------------------------------------------------------------------

    def document_mask(self, filters: SearchFilters) -> np.ndarray:
        """Which live documents pass ``filters`` (bool per document index)."""
        n = len(self.doc_ids)
        mask = np.ones(n, dtype=bool)

        def any_of(facet: str, values: Iterable[str]) -> np.ndarray:
            hit = np.zeros(n, dtype=bool)
            for value in values:
                hit[self.postings.get((facet, value), _EMPTY)] = True
            return hit

        if filters.counties:
            mask &= any_of("county", filters.counties)
        if filters.kinds:
            wanted = set(filters.kinds)
            mask &= np.fromiter((k in wanted for k in self.kinds), dtype=bool, count=n)
        if filters.since is not None:
            mask &= self.published >= _date_number(filters.since.isoformat())
        if filters.until is not None:
            mask &= (self.published >= 0) & (self.published <= _date_number(filters.until.isoformat()))
        if filters.language is not None:
            mask &= np.fromiter((lang == filters.language for lang in self.languages), dtype=bool, count=n)
        if filters.organisations:
            mask &= any_of("organisation", (fold(v) for v in filters.organisations))
        if filters.people:
            mask &= any_of("person", (fold(v) for v in filters.people))
        if filters.focus_areas:
            mask &= any_of("focus_area", filters.focus_areas)
        if filters.target_groups:
            mask &= any_of("target_group", filters.target_groups)
        return mask

    def documents_of(self, vec_ids: np.ndarray) -> np.ndarray:
        """The document index of each chunk id (−1: unknown chunk, or its document is not live)."""
        vec_ids = np.asarray(vec_ids, dtype=np.int64)
        if not self.chunk_vec_ids.size:
            return np.full(vec_ids.shape, -1, dtype=np.int32)
        pos = np.clip(np.searchsorted(self.chunk_vec_ids, vec_ids), 0, self.chunk_vec_ids.size - 1)
        return np.where(self.chunk_vec_ids[pos] == vec_ids, self.chunk_docs[pos], -1).astype(np.int32)

    def chunk_mask(self, vec_ids: np.ndarray, document_mask: np.ndarray | None = None) -> np.ndarray:
        """Which of ``vec_ids`` belong to a live document (passing ``document_mask`` when given)."""
        docs = self.documents_of(vec_ids)
        allowed = np.ones(len(self.doc_ids) + 1, dtype=bool) if document_mask is None else np.append(document_mask, False)
        allowed[-1] = False
        return allowed[docs]

    # -- facets ---------------------------------------------------------------------------------

    def facet_counts(self, documents: Sequence[int]) -> dict[str, dict[str, int]]:
        """Counts per county, focus area, kind and year over the given documents."""
        picked = np.asarray(documents, dtype=np.int64)
        return {"county": self.counties.counts(picked), "focus_area": self.focus_areas.counts(picked),
                "kind": self.kind_codes.counts(picked), "year": self.years.counts(picked)}
