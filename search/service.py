"""The search service: one query in, documents with their best passage out.

``SearchService(settings)`` loads the embedding model and the current index generation
once; ``search(SearchRequest)`` then answers in milliseconds plus one query embedding.

How a query is answered:

1. Validate it (``QueryError`` on an empty query or a bad filter value).
2. Resolve the filters (a :class:`SearchFilters` record) with the catalog (``search.catalog``:
   the live documents' filter columns as arrays) to the rows the keyword index may rank and
   the vector ids FAISS may return, so filtering happens *before* ranking: a filtered query
   still gets its best ``k`` documents, not the survivors of an unfiltered top ``k``.
3. Rank chunks twice: by vector similarity and by BM25 over the Swedish-normalised text
   (``search.keyword``; ``search.hybrid.plan_query`` decides the keyword expressions, the
   taxonomy expansion of English queries and the fusion weights for the query's language).
4. Group chunks by document (a document's rank in a list is its best chunk's rank) and
   fuse the document rankings with weighted reciprocal rank fusion (``search.fusion``, as
   arrays); each document keeps the chunk that scored best as its snippet source.
5. Keep only the documents that match the query (RELEVANCE below): ``total`` and the facet
   counts (county, focus area, kind, year) are over those results, not just the page shown,
   and a query nothing matches has none. Only the page shown is read from the store.

The index generation can change under a running server (the nightly job publishes a new
one): ``reload_if_changed()`` is a cheap ``stat`` of the pointer file and swaps the new
generation in without a restart. The catalog is read again when the store changes (a new
extraction, a removed document): at once for an index of up to CATALOG_SYNC_MAX chunks,
in the background above it (searches meanwhile use the previous one).

Searches run concurrently: the loaded generation and catalog are immutable arrays, each
thread has its own SQLite connection, and only the query embedding takes a lock (a fast
tokenizer is not safe to share between threads).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any, Literal, get_args

import numpy as np

from regionsok.errors import IndexError_, QueryError
from regionsok.records import COUNTY_CODES, DOCUMENT_KINDS, Chunk, DocumentBrief, Hit, SearchFilters
from regionsok.settings import Settings
from regionsok.store import Store
from search.catalog import Catalog
from search.embedding import Embedder, load_embedder
from search.fusion import fuse, words_matched
from search.hybrid import (
    FusionWeights,
    QueryPlan,
    load_query_analysis,
    make_snippet,
    plan_query,
    taxonomy_slugs,
)
from search.indexer import Generation, current_generation, load_generation, pointer_signature
from search.keyword import KeywordIndex
from search.normalize import known, tokenize
from search.normalize import words as words_as_written
from search.runtime import warm_page_cache
from search.timings import SearchTimings
from search.vector import VectorIndex

logger = logging.getLogger(__name__)

SearchMode = Literal["hybrid", "vector", "keyword"]
SEARCH_MODES: tuple[str, ...] = get_args(SearchMode)
LANGUAGES = ("sv", "en", "other")
SORTS = ("relevance", "date")
MAX_K = 100
MAX_QUERY_CHARS = 1000
#: Chunks taken from each ranking before grouping: enough that documents past the first
#: page still have their best chunk among them.
MIN_CANDIDATES = 200
MAX_CANDIDATES = 20_000  # deep pages are approximate beyond this; nobody reads page 500
#: Filters resolved to row masks, kept per catalog (a query stream repeats its filters).
FILTER_CACHE_SIZE = 64
#: Up to this many chunks the catalog is re-read inside the search that first sees the
#: store changed (tens of milliseconds); above it, in the background.
CATALOG_SYNC_MAX = 100_000
#: Query vectors kept (384 floats each: 256 of them are 0.4 MB).
QUERY_VECTOR_CACHE_SIZE = 256
#: What SearchService.warm asks, once without and once with a county filter, before a server
#: takes requests: a concept label and a common word, so every stage runs.
WARM_UP_QUERY = "psykisk hälsa i skolan"
WARM_UP_COUNTY = "01"
#: RELEVANCE: a document is a result only when it matches the query: a keyword ranking found
#: it (a query word, a taxonomy concept the query names, a name or number of an English query,
#: in the document's own text), or one of its chunks is at least VECTOR_FLOOR similar to the
#: query. Without it every query returned every document ("19 träffar" for nonsense on a
#: 19-document corpus). multilingual-e5 cannot tell nonsense from a topic by similarity
#: alone: twelve nonsense queries ("xyzzyplugh kvantdator", "lorem ipsum dolor sit amet",
#: "recept på kanelbullar") reached cosine 0.76-0.836 with their best chunk on both dev
#: corpora, while the relevant documents of real English queries start at 0.78. So the floor
#: sits above every nonsense query (0.836 + margin) and similarity alone admits only very
#: close passages; everything else needs a lexical match.
VECTOR_FLOOR = 0.87
#: ... or when it is this much more similar to the query than the corpus' typical chunk is
#: (the mean similarity of BACKGROUND_SAMPLE indexed chunks to the query). e5's similarities
#: sit on a query-dependent base (English queries lower than Swedish ones, a nonsense query
#: as high as a real one), and the distance above that base is what tells a topic from no
#: topic: on both dev corpora the twelve nonsense queries' best chunks were at most 0.048
#: above their base, while relevant documents that no keyword finds reach 0.05-0.09.
#: A query of several words is matched by its words only when a document names at least
#: this share of them (rounded up: 1 of 2, 2 of 3 or 4, 3 of 5): "stöd till anhöriga till
#: personer med missbruk" is not answered by every page that says "stöd". Search engines call
#: it minimum-should-match; concepts and names still match on their own.
MIN_SHOULD_MATCH = 0.5
VECTOR_MARGIN = 0.05
#: A query all of whose words a dictionary knows (Swedish or English) is a question in a
#: language, not a string of noise, and similarity is then trusted closer to its base: the
#: relevant documents of English questions that no keyword reaches ("funding for sports
#: events") are 0.035-0.06 above theirs (0.035: own dev set English nDCG@10 0.886 against 0.894 with no floor at all). Nonsense almost always holds a word no dictionary
#: knows ("xyzzyplugh", "blorfen"), and keeps the stricter margin.
VECTOR_MARGIN_KNOWN_WORDS = 0.035
BACKGROUND_SAMPLE = 512


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """One search: the query, the page wanted (``k`` documents after ``offset``), filters, mode."""

    query: str
    k: int = 10
    offset: int = 0
    filters: SearchFilters = SearchFilters()
    mode: str = "hybrid"  # "hybrid" | "vector" | "keyword" (the latter two for evaluation)
    sort: str = "relevance"  # "relevance" | "date": the same results, newest first


@dataclass(frozen=True, slots=True)
class SearchResponse:
    """The answer: documents best first, how many matched in all, facet counts."""

    query: str
    language: str  # detected query language "sv"/"en"
    total: int  # documents matching (for paging)
    hits: list[Hit]  # grouped by document, best first
    facets: dict[str, dict[str, int]]  # "county", "focus_area", "kind", "year" → value → count


@dataclass(frozen=True, slots=True)
class _Loaded:
    """The index generation being served; swapped as a whole on reload."""

    generation: Generation
    index: VectorIndex
    keyword: KeywordIndex
    signature: tuple[int, int] | None
    background: np.ndarray | None = None  # a fixed sample of indexed vectors (see VECTOR_MARGIN)


class _View:
    """A catalog joined with a generation: which document each keyword row belongs to."""

    def __init__(self, loaded: _Loaded, catalog: Catalog, db_signature: tuple[Any, ...]) -> None:
        self.loaded = loaded
        self.catalog = catalog
        self.db_signature = db_signature
        keyword = loaded.keyword
        # Per keyword segment: each row's document index, len(catalog) for "none" (masks get a
        # False slot there), so a document mask turns into a row mask with one gather.
        none = len(catalog)
        self.row_docs = [np.where(d >= 0, d, none) for d in (catalog.documents_of(s.vec_ids) for s in keyword.segments)]
        self._filters: OrderedDict[SearchFilters, tuple[list[np.ndarray], np.ndarray]] = OrderedDict()
        self._lock = threading.Lock()

    def filtered(self, filters: SearchFilters) -> tuple[list[np.ndarray], np.ndarray]:
        """(keyword row mask per segment, allowed vector ids) of the chunks ``filters`` admits."""
        with self._lock:
            found = self._filters.get(filters)
            if found is not None:
                self._filters.move_to_end(filters)
                return found
        documents = np.append(self.catalog.document_mask(filters), False)
        keyword = self.loaded.keyword
        masks = [documents[row_docs] & live for row_docs, live in zip(self.row_docs, keyword.live, strict=True)]
        allowed = keyword.vec_ids[np.concatenate(masks)] if masks else np.empty(0, np.int64)
        for mask in masks:
            mask.setflags(write=False)
        allowed.setflags(write=False)
        with self._lock:
            self._filters[filters] = (masks, allowed)
            while len(self._filters) > FILTER_CACHE_SIZE:
                self._filters.popitem(last=False)
        return masks, allowed


class SearchService:
    """Hybrid semantic + keyword search over the store and the current index generation."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None,
                 fusion: dict[str, FusionWeights] | None = None, vector_floor: float = VECTOR_FLOOR,
                 vector_margin: float = VECTOR_MARGIN, vector_margin_known: float = VECTOR_MARGIN_KNOWN_WORDS) -> None:
        self.settings = settings
        self.fusion = fusion  # None: search.hybrid.FUSION_WEIGHTS (other tables are for evaluation)
        self.vector_floor = vector_floor  # see RELEVANCE; other values are for calibration
        self.vector_margin = vector_margin
        self.vector_margin_known = vector_margin_known
        self._local = threading.local()
        self._reload_lock = threading.Lock()
        self.embedder = embedder if embedder is not None else load_embedder(settings)
        self._view_lock = threading.Lock()
        self._refreshing = False
        # Thread counts are the process's, set by its entry point (search.runtime), not here.
        self.timings = SearchTimings()
        self._query_vectors = _QueryVectorCache(self.embedder)
        if settings.store_url is None and not settings.db_path.is_file():
            raise IndexError_(f"no store at {settings.db_path}: run `regionsok ingest` and `regionsok index` first")
        self._current_view = self._new_view(self._load())

    # -- loading -------------------------------------------------------------------------------

    def _load(self) -> _Loaded:
        index_dir = self.settings.index_dir
        signature = pointer_signature(index_dir)
        generation = current_generation(index_dir)
        if generation is None:
            raise IndexError_(f"no search index in {index_dir}: run `regionsok index` first")
        if generation.dim != self.embedder.dim:
            raise IndexError_(
                f"the index was built with {generation.model} ({generation.dim}-d vectors) but the configured "
                f"model {self.embedder.name} gives {self.embedder.dim}-d vectors: run `regionsok index`"
            )
        if generation.model != self.embedder.name:
            logger.warning("index built with model %s, queries embedded with %s", generation.model,
                           self.embedder.name)
        # Mapped files, read through once first: a cold page cache would fault them in at random.
        warm_page_cache(p for p in sorted(generation.path.rglob("*")) if p.is_file())
        index = load_generation(generation, mapped=True)
        keyword = KeywordIndex.load(generation.path)
        if keyword is None:
            raise IndexError_(f"index generation {generation.version} has no keyword index (an older Regionsök "
                              "wrote it): run `regionsok index` once to add it")
        logger.info("search index loaded", extra={"index_version": generation.version, "vectors": len(index),
                                                  "keyword_rows": len(keyword)})
        return _Loaded(generation=generation, index=index, keyword=keyword, signature=signature,
                       background=index.sample(BACKGROUND_SAMPLE))

    @property
    def _loaded(self) -> _Loaded:
        return self._current_view.loaded

    def _new_view(self, loaded: _Loaded) -> _View:
        signature = self._store().change_marker()  # before reading: a later write is seen next time
        return _View(loaded, Catalog.load(self._store()), signature)

    def _view(self) -> _View:
        """The catalog view of the served generation, re-read when the store changed."""
        view = self._current_view
        if view.db_signature == self._store().change_marker():
            return view
        if len(view.catalog.chunk_vec_ids) > CATALOG_SYNC_MAX:
            self._refresh_in_background(view.loaded)
            return view
        with self._view_lock:
            if self._current_view is view:  # nobody refreshed it meanwhile
                self._current_view = self._new_view(view.loaded)
            return self._current_view

    def _refresh_in_background(self, loaded: _Loaded) -> None:
        with self._view_lock:
            if self._refreshing:
                return
            self._refreshing = True

        def refresh() -> None:
            try:
                view = self._new_view(loaded)
                with self._view_lock:
                    if self._loaded is loaded:  # not replaced by a newer generation meanwhile
                        self._current_view = view
            except Exception:  # a failed refresh keeps the previous catalog serving
                logger.exception("catalog refresh failed")
            finally:
                self._refreshing = False

        threading.Thread(target=refresh, name="catalog-refresh", daemon=True).start()

    def reload_if_changed(self, wait: bool | None = None) -> bool:
        """Swap in a newer index generation if one was published; True when it did.

        ``wait=False`` loads it on a thread of its own and returns at once: requests keep
        the generation they have until the new one is ready (at a million chunks loading
        takes seconds, and every request arriving meanwhile would wait). The default waits
        only for an index small enough to load within a search's time (CATALOG_SYNC_MAX).
        """
        if pointer_signature(self.settings.index_dir) == self._loaded.signature:
            return False
        if wait is None:
            wait = len(self._loaded.keyword) <= CATALOG_SYNC_MAX
        if not wait:
            self._reload_in_background()
            return False
        with self._reload_lock:
            return self._swap_generation()

    def _reload_in_background(self) -> None:
        if not self._reload_lock.acquire(blocking=False):
            return  # a reload is running already

        def reload() -> None:
            try:
                self._swap_generation()
            except Exception:  # the generation being served keeps serving
                logger.exception("index reload failed")
            finally:
                self._reload_lock.release()

        threading.Thread(target=reload, name="index-reload", daemon=True).start()

    def _swap_generation(self) -> bool:
        """Load the published generation and serve it (the caller holds the reload lock)."""
        if pointer_signature(self.settings.index_dir) == self._loaded.signature:
            return False
        loaded = self._load()
        changed = loaded.generation.version != self._loaded.generation.version
        view = self._new_view(loaded)
        with self._view_lock:
            self._current_view = view  # one reference: generation and catalog together
        return changed

    def _store(self) -> Store:
        store: Store | None = getattr(self._local, "store", None)
        if store is None:
            store = Store.open(self.settings.db_path)
            self._local.store = store
        return store

    def warm(self) -> None:
        """Make the first search cost what the others do: load the query analysis's dictionaries,
        language model and taxonomy, then answer :data:`WARM_UP_QUERY` without and with a
        filter, unrecorded.

        That search is what the first one would otherwise pay for on top of its own work (49 ms
        against 19 at 133k chunks): the query model's first run (it allocates), each stage's first
        call (FAISS's search buffers, the keyword side's, SQLite's statements and pages) and the
        passage analysis of the common words.
        """
        load_query_analysis()
        unrecorded = SearchTimings()
        for filters in (SearchFilters(), SearchFilters(counties=(WARM_UP_COUNTY,))):
            self._search(SearchRequest(WARM_UP_QUERY, filters=filters), unrecorded)

    def health(self) -> dict[str, object]:
        """What is served: readiness, sizes, index version, model."""
        store = self._store()
        loaded = self._loaded
        return {
            "ready": True,
            "documents": store.live_document_count(),
            "chunks": store.chunk_count(),
            "vectors": len(loaded.index),
            "index_version": loaded.generation.version,
            "index_kind": loaded.index.kind,
            "keyword_rows": len(loaded.keyword),
            "keyword_segments": len(loaded.keyword.segments),
            "model": self.embedder.name,
            "backend": self.embedder.backend,
            "backend_setting": self.settings.embedding_backend,  # "auto": the fastest here
            "dim": self.embedder.dim,
        }

    # -- searching -------------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResponse:
        """Answer one request (see the module docstring for how)."""
        return self._search(request, self.timings)

    def _search(self, request: SearchRequest, timings: SearchTimings) -> SearchResponse:
        query, filters = validate_request(request)
        plan = plan_query(query, weights=self.fusion)
        view = self._view()
        loaded = view.loaded
        depth = min(MAX_CANDIDATES, max(MIN_CANDIDATES, (request.offset + request.k) * 20))

        started = time.perf_counter()
        masks: list[np.ndarray] | None = None
        allowed: np.ndarray | None = None
        with timings.stage("filter"):  # recorded for every search, so each stage counts the same searches
            if not filters.is_empty():
                masks, allowed = view.filtered(filters)
        vector_ranking: list[tuple[int, float]] = []
        vector_floor = self.vector_floor
        if request.mode in ("hybrid", "vector") and (allowed is None or allowed.size):
            with timings.stage("embed"):
                q = self._query_vectors.vector(query, timings)
            with timings.stage("vector"):
                matches = loaded.index.search(q, depth, allowed=allowed)
                vector_ranking = list(zip(matches.ids.tolist(), matches.scores.tolist(), strict=True))
                if loaded.background is not None and len(loaded.background):
                    margin = self.vector_margin_known if _all_words_known(query) else self.vector_margin
                    vector_floor = min(vector_floor, float((loaded.background @ q).mean()) + margin)
        keyword_rankings: list[tuple[str, list[tuple[int, float]], float]] = []
        with timings.stage("keyword"):
            if request.mode in ("hybrid", "keyword"):
                for kq in plan.keyword:
                    terms = loaded.keyword.discriminating(kq.terms)
                    if terms:
                        keyword_rankings.append((kq.label, loaded.keyword.search(terms, depth, masks), kq.weight))
            # Only the floor reads which words a document names; "vector" mode has no floor.
            per_word = [] if request.mode == "vector" else self._chunks_per_word(plan, loaded, depth, masks)

        with timings.stage("fuse"):
            rankings: list[tuple[str, list[tuple[int, float]], float]] = []
            if request.mode in ("hybrid", "vector"):
                rankings.append(("vector", vector_ranking, plan.vector_weight))
            rankings += keyword_rankings
            catalog = view.catalog
            fused = fuse(request.mode, rankings, catalog.documents_of, plan.rrf_k)
            words_ok = words_matched(per_word, catalog.documents_of, fused, MIN_SHOULD_MATCH) if per_word else None
            # "vector" mode ranks by similarity alone, for evaluating that side (and for the
            # regions answer, which applies its own test of a passage): it has no floor.
            slots = fused.results(None if request.mode == "vector" else vector_floor, words_ok).tolist()
            scores, doc_indexes = fused.score.tolist(), fused.doc_index.tolist()
            ordered = sorted(((catalog.doc_ids[doc_indexes[i]], i) for i in slots),
                             key=lambda item: (-scores[item[1]], item[0]))
        with timings.stage("facets"):
            indexes = [doc_indexes[i] for _, i in ordered]
            if request.sort == "date":  # the same result set, newest first (undated last, by relevance)
                order = sorted(range(len(ordered)), key=lambda i: -int(catalog.published[indexes[i]]))
                ordered = [ordered[i] for i in order]
            facets = catalog.facet_counts(indexes)
        with timings.stage("fetch"):
            page = [(doc_id, int(fused.best_chunk[i]), scores[i])
                    for doc_id, i in ordered[request.offset : request.offset + request.k]]
            store = self._store()
            info = store.document_briefs([doc_id for doc_id, _, _ in page])
            chunks = store.chunk_rows([chunk for _, chunk, _ in page])
            # A document removed since the catalog was read drops off the page (the next
            # catalog drops it from totals and facets too).
            hits = [_hit(info[doc_id], chunks[chunk], score, plan) for doc_id, chunk, score in page
                    if doc_id in info and chunk in chunks]
        timings.add("total", time.perf_counter() - started)
        return SearchResponse(query=query, language=plan.language, total=len(ordered), hits=hits, facets=facets)

    def _chunks_per_word(self, plan: QueryPlan, loaded: _Loaded, depth: int,
                         masks: list[np.ndarray] | None) -> list[np.ndarray]:
        """For a query of three or more words: the chunks that name each word (else nothing).

        A query that names someone or something ("Lars Jacobsson Liberalerna", "HVB") is
        matched by the name alone: names are misspelled in sources, titles and parties left out.
        """
        words = next((kq.terms for kq in plan.keyword if kq.label == "words"), ())
        if len(words) < 3 or any(w[:1].isupper() for w in words_as_written(plan.text)):
            return []
        return [np.fromiter((vec_id for vec_id, _ in loaded.keyword.search((term,), depth, masks)), np.int64)
                for term in words]


def all_result_ids(service: SearchService, request: SearchRequest) -> list[str]:
    """Every document ``request``'s search counts as a result, in its order: all pages of it
    (for exports and for measuring result sets; ``request.k`` and ``offset`` are ignored)."""
    ids: list[str] = []
    while True:
        response = service.search(replace(request, k=MAX_K, offset=len(ids)))
        ids += [hit.doc_id for hit in response.hits]
        if not response.hits or len(ids) >= response.total:
            return ids


# -- helpers --------------------------------------------------------------------------------------


class _QueryVectorCache:
    """The vectors of recent queries (a query stream repeats itself: paging, sorting, filters)."""

    def __init__(self, embedder: Embedder, size: int = QUERY_VECTOR_CACHE_SIZE) -> None:
        self._embedder = embedder
        self._size = size
        self._lock = threading.Lock()
        self._embed_lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()

    def vector(self, query: str, timings: SearchTimings) -> np.ndarray:
        """The query's vector, from the cache or the model (``timings`` counts which)."""
        with self._lock:
            found = self._vectors.get(query)
            if found is not None:
                self._vectors.move_to_end(query)
        timings.count_query_cache(found is not None)
        if found is not None:
            return found
        with self._embed_lock:  # a fast tokenizer is not safe to share between threads
            vector = self._embedder.encode_query([query])[0]
        vector.setflags(write=False)  # shared between requests: nobody may change it
        with self._lock:
            self._vectors[query] = vector
            while len(self._vectors) > self._size:
                self._vectors.popitem(last=False)
        return vector


def _all_words_known(query: str) -> bool:
    """Whether Swedish or English dictionaries know every word of the query (numbers aside)."""
    words = [w for w in tokenize(query) if not any(c.isdigit() for c in w)]
    return bool(words) and all(known(w, "sv") or known(w, "en") for w in words)


def validate_request(request: SearchRequest) -> tuple[str, SearchFilters]:
    """The cleaned query and filters, or QueryError saying what is wrong."""
    query = " ".join(str(request.query or "").split())
    if not query:
        raise QueryError("the query is empty")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"the query is longer than {MAX_QUERY_CHARS} characters")
    if not 1 <= request.k <= MAX_K:
        raise QueryError(f"k must be between 1 and {MAX_K}, not {request.k}")
    if request.offset < 0:
        raise QueryError(f"offset must not be negative, not {request.offset}")
    if request.sort not in SORTS:
        raise QueryError(f"sort must be one of {', '.join(SORTS)}, not {request.sort!r}")
    if request.mode not in SEARCH_MODES:
        raise QueryError(f"mode must be one of {', '.join(SEARCH_MODES)}, not {request.mode!r}")
    f = request.filters
    counties: list[str] = []
    for county in f.counties:
        code = str(county).strip().zfill(2)
        if code not in COUNTY_CODES:
            raise QueryError(f"county must be a county code ({', '.join(COUNTY_CODES)}), not {county!r}")
        counties.append(code)
    for kind in f.kinds:
        if kind not in DOCUMENT_KINDS:
            raise QueryError(f"kind must be one of {', '.join(DOCUMENT_KINDS)}, not {kind!r}")
    if f.since is not None and f.until is not None and f.since > f.until:
        raise QueryError(f"since ({f.since}) is after until ({f.until})")
    if f.language is not None and f.language not in LANGUAGES:
        raise QueryError(f"language must be one of {', '.join(LANGUAGES)}, not {f.language!r}")
    _check_slugs("focus_area", f.focus_areas)
    _check_slugs("target_group", f.target_groups)
    clean = SearchFilters(
        counties=tuple(dict.fromkeys(counties)), kinds=tuple(f.kinds), since=f.since, until=f.until,
        language=f.language,
        organisations=tuple(o.strip() for o in f.organisations if o.strip()),
        people=tuple(p.strip() for p in f.people if p.strip()),
        focus_areas=tuple(f.focus_areas), target_groups=tuple(f.target_groups),
    )
    return query, clean


def _check_slugs(kind: str, slugs: tuple[str, ...]) -> None:
    """Unknown taxonomy slugs are a user error (a typo would silently match nothing)."""
    if not slugs:
        return
    known = taxonomy_slugs(kind)
    for slug in slugs:
        if slug not in known:
            raise QueryError(f"unknown {kind.replace('_', ' ')} {slug!r}; known: {', '.join(sorted(known))}")


def _hit(doc: DocumentBrief, chunk: Chunk, score: float, plan: QueryPlan) -> Hit:
    return Hit(
        doc_id=doc.doc_id,
        url=doc.url,
        title=doc.title,
        kind=doc.kind,
        published=doc.published,
        counties=tuple(doc.counties),
        score=round(score, 6),
        snippet=make_snippet(chunk.text, doc.title, plan.highlight),
        chunk_id=chunk.chunk_id,
        organisations=doc.facet("organisation"),
        people=doc.facet("person"),
        focus_areas=doc.facet("focus_area"),
        target_groups=doc.facet("target_group"),
        language=doc.language,
    )
