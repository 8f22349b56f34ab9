"""Keyword-side options side by side (issue 15): build time, disk, memory, latency, agreement.

What it measures: a synthetic corpus built the way bench/api_load.py builds one (its Zipf
vocabulary of the committed seed texts, ~200 words a chunk, 3 chunks a document, a county
per document), normalised with ``search.normalize`` like the indexer does, indexed by each
option. Then the keyword rankings ``search.hybrid.plan_query`` gives each query of a fixed
list (api_load's QUERIES plus taxonomy labels) are evaluated as the option would at search
time, top 200 per ranking, *uncached* (no concept cache), unfiltered and with a county
filter (~1/21 of chunks allowed). Every ranking's terms are used (the service also drops
terms in more than COMMON_TERM_SHARE of chunks; that is a policy on top of any option).

Options:
- ``fts5``: today's store (regionsok.store), ``keyword_search`` with the FTS5 OR expression;
- ``fts5-concepts``: the same, with one token per taxonomy concept added to a chunk at index
  time for every match of one of the concept's expressions, so a concept ranking is one term;
- ``tantivy``: whitespace-tokenised normalised text, BM25; a prefix is expanded through the
  term dictionary into term queries, a phrase is a phrase query, the county a term query
  scoring 0;
- ``bm25s``: pre-tokenised ids, BM25 (k1 1.2 as FTS5); no positions, so a phrase is scored as
  its words and a prefix is expanded over the vocabulary; the filter is a weight mask;
- ``postings``: ``search.keyword.KeywordIndex`` (numpy postings in memory-mapped files);
- any option with ``-concepts`` appended gets the concept tokens too.

Each option is built in a subprocess and searched in another (fresh, index loaded from
disk), so "peak RSS added" is that option's alone: the build's peak over the corpus it was
handed, and the search process's peak over an empty interpreter with the plans.

Agreement with fts5: per ranking, the Jaccard index of the top-200 id sets and whether the
top 10 are the same ids in the same order.

Usage:
    python bench/keyword_options.py [--chunks 100000,1000000] [--queries 30] [--repeat 2]
                                    [--options fts5,fts5-concepts,tantivy,bm25s,postings]
                                    [--data-dir /tmp/kwbench-data]
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from api_load import COUNTIES, QUERIES, _vocabulary  # noqa: E402

from regionsok.records import SearchFilters  # noqa: E402

DEPTH = 200  # candidates per ranking, as the service asks for
CONCEPT_TABLE = "chunk_concepts"  # fts5-concepts: a contentless FTS5 table of concept tokens
CHUNKS_PER_DOCUMENT = 3
WORDS_PER_CHUNK = 200
SEED = 7
TOP_ORDER = 10


# -- the corpus -------------------------------------------------------------------------------


def write_corpus(path: Path, chunks: int) -> float:
    """``county<TAB>norm`` per chunk, a document's chunks sharing its county; seconds spent."""
    from search.normalize import normalize

    rng = random.Random(SEED)
    vocab, weights = _vocabulary()
    began = time.monotonic()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        county = COUNTIES[0]
        for n in range(chunks):
            if n % CHUNKS_PER_DOCUMENT == 0:
                county = rng.choice(COUNTIES)
            # Sentences of 20 words, capitalised as api_load writes them (normalize folds case).
            words = rng.choices(vocab, weights=weights, k=WORDS_PER_CHUNK)
            text = ". ".join(" ".join(words[i:i + 20]).capitalize() for i in range(0, WORDS_PER_CHUNK, 20)) + "."
            out.write(f"{county}\t{normalize(text)}\n")
    tmp.replace(path)
    return time.monotonic() - began


@dataclass(frozen=True, slots=True)
class Row:
    """One chunk as a keyword index receives it: id (0-based), document, county, terms."""

    chunk: int
    document: int
    county: str
    norm: str
    concepts: str = ""  # concept tokens (options with -concepts), indexed apart from norm


def read_corpus(path: Path) -> list[Row]:
    rows = []
    with path.open(encoding="utf-8") as handle:
        for n, line in enumerate(handle):
            county, norm = line.rstrip("\n").split("\t", 1)
            rows.append(Row(n, n // CHUNKS_PER_DOCUMENT, county, norm))
    return rows


# -- queries ----------------------------------------------------------------------------------


def query_texts(count: int) -> list[str]:
    """api_load's queries, then taxonomy labels (Swedish and English in turn) up to ``count``."""
    from ingest.nlp.taxonomy import load_taxonomy

    taxonomy = load_taxonomy()
    texts = list(QUERIES)
    for i, slug in enumerate(taxonomy.slugs()):
        concept = taxonomy[slug]
        texts.append(concept.label_sv if i % 2 == 0 else concept.label_en)
    return list(dict.fromkeys(texts))[:count]


@dataclass(frozen=True, slots=True)
class Term:
    """One FTS5 expression of a ranking, parsed: a token, a prefix or a phrase."""

    kind: str  # "token" | "prefix" | "phrase"
    tokens: tuple[str, ...]
    fts: str  # the FTS5 expression it came from


def parse_term(fts: str) -> Term:
    """'"barn"' → token, '"spelberoend"*' → prefix, '"psykisk häls"' → phrase (hybrid's forms)."""
    prefix = fts.endswith("*")
    body = fts[:-1] if prefix else fts
    tokens = tuple(body[1:-1].replace('""', '"').split())
    if len(tokens) > 1:
        return Term("phrase", tokens, fts)
    return Term("prefix" if prefix else "token", tokens, fts)


@dataclass(frozen=True, slots=True)
class Ranking:
    query: int
    label: str
    terms: tuple[Term, ...]


def concept_token(slug: str) -> str:
    """The index token standing for a concept: letters only, as FTS5's unicode61 splits on '_'."""
    return "cpt" + slug.replace("_", "")


def plan_rankings(texts: Sequence[str], concepts: bool) -> list[Ranking]:
    """Every keyword ranking of every query; with ``concepts`` a concept ranking is its token."""
    from search.hybrid import plan_query

    out = []
    for i, text in enumerate(texts):
        for kq in plan_query(text).keyword:
            if concepts and kq.label.startswith("concept:"):
                token = concept_token(kq.label.split(":", 1)[1])
                out.append(Ranking(i, kq.label, (Term("token", (token,), f'"{token}"'),)))
            else:
                out.append(Ranking(i, kq.label, tuple(parse_term(t) for t in kq.terms)))
    return out


# -- concept tokens at index time ---------------------------------------------------------------


class ConceptTagger:
    """Which concept expressions a chunk's terms match, as the FTS5 concept query would.

    A token expression matches the token, a prefix expression every token it starts, a
    phrase its tokens in a row. Each match adds the concept's token once, so its frequency
    is what the OR query's matches add up to.
    """

    def __init__(self) -> None:
        from ingest.nlp.taxonomy import load_taxonomy
        from search.hybrid import _concept_expression  # the expressions plan_query ORs

        taxonomy = load_taxonomy()
        self._token: dict[str, list[str]] = {}
        self._prefix: list[tuple[str, str]] = []
        self._phrase: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        for slug in taxonomy.slugs():
            expressions = dict.fromkeys(e for t in taxonomy[slug].swedish_terms() if (e := _concept_expression(t)))
            for expression in expressions:
                term = parse_term(expression)
                if term.kind == "token":
                    self._token.setdefault(term.tokens[0], []).append(concept_token(slug))
                elif term.kind == "prefix":
                    self._prefix.append((term.tokens[0], concept_token(slug)))
                else:
                    self._phrase.setdefault(term.tokens[0], []).append((term.tokens[1:], concept_token(slug)))
        self._single: dict[str, list[str]] = {}

    def _singles(self, token: str) -> list[str]:
        found = self._single.get(token)
        if found is None:
            found = list(self._token.get(token, ()))
            found += [c for prefix, c in self._prefix if token.startswith(prefix)]
            self._single[token] = found
        return found

    def tag(self, norm: str) -> str:
        """The concept tokens of a chunk's terms, space-separated (one per expression match)."""
        tokens = norm.split()
        extra: list[str] = []
        for i, token in enumerate(tokens):
            extra += self._singles(token)
            for rest, concept in self._phrase.get(token, ()):
                if tuple(tokens[i + 1:i + 1 + len(rest)]) == rest:
                    extra.append(concept)
        return " ".join(extra)


def tagged(rows: list[Row]) -> list[Row]:
    tagger = ConceptTagger()
    return [Row(r.chunk, r.document, r.county, r.norm, tagger.tag(r.norm)) for r in rows]


# -- the options --------------------------------------------------------------------------------


class Engine:
    """One keyword option: build from rows into a directory, load it, answer rankings.

    With ``concepts`` the concept tokens are indexed in a field (table) of their own, so
    the words and parts rankings, and their BM25 length normalisation, are untouched.
    """

    concepts = False

    def build(self, directory: Path, rows: list[Row]) -> dict[str, Any]:
        raise NotImplementedError

    def load(self, directory: Path) -> None:
        raise NotImplementedError

    def search(self, ranking: Ranking, county: str | None) -> list[int]:
        """Chunk ids (0-based) of the best DEPTH chunks, best first."""
        raise NotImplementedError


class Fts5(Engine):
    """Today's store and its ``keyword_search`` (vec_id = chunk id + 1, as AUTOINCREMENT starts at 1)."""

    def build(self, directory: Path, rows: list[Row]) -> dict[str, Any]:
        from datetime import date

        from regionsok.records import Chunk, Document, Extraction
        from regionsok.store import open_store
        from regionsok.store.chunks import NewChunk

        db = directory / "regionsok.db"
        began = time.monotonic()
        doc_ids: dict[int, str] = {}
        with open_store(db) as store:
            with store.transaction():
                for row in rows[::CHUNKS_PER_DOCUMENT]:
                    doc = Document(doc_id=f"syn{row.document:07d}", url=f"https://example.invalid/s/{row.document}",
                                   title=f"Syntetiskt {row.document}", text=f"syntetiskt dokument {row.document}",
                                   language="sv", kind="press_release", published=date(2020, 1, 1),
                                   source="synthetic", county_code=row.county)
                    _, doc_ids[row.document] = store.upsert_document(doc)
                    store.save_extraction(doc_ids[row.document], doc.sha256,
                                          Extraction(kind=doc.kind, counties=(row.county,)))
            documents_s = time.monotonic() - began
            began = time.monotonic()
            batch = 20_000
            for first in range(0, len(rows), batch):
                with store.transaction():
                    by_doc: dict[int, list[NewChunk]] = {}
                    for row in rows[first:first + batch]:
                        # The chunk text is not read by a keyword search: left empty to keep the file small.
                        by_doc.setdefault(row.document, []).append(NewChunk(
                            vec_id=row.chunk + 1, norm=row.norm,
                            chunk=Chunk(chunk_id=f"c{row.chunk}", doc_id=doc_ids[row.document],
                                        ordinal=row.chunk % CHUNKS_PER_DOCUMENT, text=""),
                        ))
                    for document, new in by_doc.items():
                        store.replace_document_chunks(doc_ids[document], (), new)
            if not _has_table(store.conn, "chunks_fts"):
                # Schema 4 and later keep no FTS5 table: build today's (c82f648) over chunks.norm.
                with store.transaction():
                    store.conn.execute(FTS5_TABLE)
                    store.conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
            if self.concepts:
                with store.transaction():
                    store.conn.execute(f"CREATE VIRTUAL TABLE {CONCEPT_TABLE} USING fts5(concepts, content='', "
                                       "tokenize='unicode61 remove_diacritics 0')")
                    store.conn.executemany(f"INSERT INTO {CONCEPT_TABLE} (rowid, concepts) VALUES (?, ?)",
                                           ((r.chunk + 1, r.concepts) for r in rows if r.concepts))
        build_s = time.monotonic() - began
        sizes = {"fts_mb": _table_mb(db, "chunks_fts")}
        if self.concepts:
            sizes["concept_table_mb"] = _table_mb(db, CONCEPT_TABLE)
        return {"documents_s": round(documents_s, 1), "build_s": round(build_s, 1), **sizes}

    def load(self, directory: Path) -> None:
        from regionsok.store import open_store

        self.store = open_store(directory / "regionsok.db", readonly=True)

    def search(self, ranking: Ranking, county: str | None) -> list[int]:
        match = " OR ".join(t.fts for t in ranking.terms)
        filters = SearchFilters(counties=(county,)) if county else None
        table = CONCEPT_TABLE if self.concepts and ranking.label.startswith("concept:") else "chunks_fts"
        if table == "chunks_fts" and hasattr(self.store, "keyword_search"):
            return [vec_id - 1 for vec_id, _ in self.store.keyword_search(match, DEPTH, filters)]
        return self._fts5_search(table, match, county)

    def _fts5_search(self, table: str, match: str, county: str | None) -> list[int]:
        """``keyword_search``'s two queries as of c82f648 (before schema 4 dropped FTS5), over
        ``table``, with that version's county filter SQL (the one filter this bench uses)."""
        if county is None:
            sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rank LIMIT ?"
            return [r[0] - 1 for r in self.store.conn.execute(sql, (match, DEPTH))]
        sql = (f"SELECT c.vec_id FROM {table} JOIN chunks c ON c.vec_id = {table}.rowid "
               f"JOIN documents d ON d.doc_id = c.doc_id WHERE {table} MATCH ? AND {COUNTY_SQL} "
               f"ORDER BY bm25({table}) LIMIT ?")
        return [r[0] - 1 for r in self.store.conn.execute(sql, (match, county, county, DEPTH))]


#: Today's FTS5 table (schema migration 1 until schema 4 dropped it).
FTS5_TABLE = ("CREATE VIRTUAL TABLE chunks_fts USING fts5(norm, content='chunks', content_rowid='vec_id', "
              "tokenize='unicode61 remove_diacritics 0')")
#: regionsok/store/chunks.py ``_filter_sql`` of one county, as of c82f648.
COUNTY_SQL = (
    "d.removed_at IS NULL AND (EXISTS (SELECT 1 FROM doc_facets f WHERE f.doc_id = d.doc_id AND f.facet = 'county' "
    "AND f.value IN (?)) OR (d.county_code IN (?) AND NOT EXISTS "
    "(SELECT 1 FROM doc_facets f WHERE f.doc_id = d.doc_id AND f.facet = 'county')))"
)


def _has_table(conn: Any, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone() is not None


def _table_mb(db: Path, table: str) -> float | None:
    """Megabytes of one FTS5 table's shadow tables (SQLite's dbstat), None without dbstat."""
    import sqlite3

    conn = sqlite3.connect(db)
    try:
        size = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE ?", (f"{table}%",)).fetchone()[0]
        return round((size or 0) / 1e6, 1)
    except sqlite3.Error:
        return None
    finally:
        conn.close()


class Tantivy(Engine):
    def _schema(self) -> Any:
        import tantivy

        builder = tantivy.SchemaBuilder()
        builder.add_text_field("norm", tokenizer_name="whitespace", index_option="position")
        builder.add_text_field("county", tokenizer_name="raw", index_option="basic")
        builder.add_text_field("concepts", tokenizer_name="whitespace", index_option="freq")
        builder.add_integer_field("id", fast=True)  # Document(id=int) is i64
        return builder.build()

    def build(self, directory: Path, rows: list[Row]) -> dict[str, Any]:
        import tantivy

        began = time.monotonic()
        index = tantivy.Index(self._schema(), path=str(directory))
        writer = index.writer(heap_size=256_000_000)
        for row in rows:
            writer.add_document(tantivy.Document(norm=row.norm, county=row.county, id=row.chunk,
                                                 concepts=row.concepts))
        writer.commit()
        writer.wait_merging_threads()
        return {"build_s": round(time.monotonic() - began, 1)}

    def load(self, directory: Path) -> None:
        import tantivy

        self.tantivy = tantivy
        self.schema = self._schema()
        self.index = tantivy.Index(self.schema, path=str(directory))
        self.index.reload()
        self.searcher = self.index.searcher()

    def search(self, ranking: Ranking, county: str | None) -> list[int]:
        t, schema, Occur = self.tantivy.Query, self.schema, self.tantivy.Occur
        should = []
        field = "concepts" if self.concepts and ranking.label.startswith("concept:") else "norm"
        for term in ranking.terms:
            if term.kind == "token":
                should.append(t.term_query(schema, field, term.tokens[0]))
            elif term.kind == "prefix":
                should += [t.term_query(schema, "norm", token)
                           for token, _ in self.searcher.terms_with_prefix("norm", term.tokens[0])]
            else:
                should.append(t.phrase_query(schema, "norm", list(term.tokens)))
        if not should:
            return []
        query = t.boolean_query([(Occur.Should, q) for q in should])
        if county:
            query = t.boolean_query([(Occur.Must, query),
                                     (Occur.Must, t.const_score_query(t.term_query(schema, "county", county), 0.0))])
        hits = self.searcher.search(query, DEPTH, count=False).hits
        ids = self.searcher.fast_field_values("id", [address for _, address in hits])
        return [int(v) for v in ids if isinstance(v, int)]


class _TokenIds(Sequence[list[int]]):
    """Each row's token ids, made when bm25s reads them (a list of lists is gigabytes at 1M)."""

    def __init__(self, rows: list[Row], vocab: dict[str, int]) -> None:
        self._rows, self._vocab = rows, vocab

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, n: int) -> list[int]:  # type: ignore[override]
        return [self._vocab[token] for token in self._rows[n].norm.split()]

    def __iter__(self) -> Iterator[list[int]]:
        for n in range(len(self._rows)):
            yield self[n]


class Bm25s(Engine):
    def build(self, directory: Path, rows: list[Row]) -> dict[str, Any]:
        import bm25s
        from bm25s.tokenization import Tokenized

        began = time.monotonic()
        vocab: dict[str, int] = {}
        for row in rows:
            for token in row.norm.split():
                vocab.setdefault(token, len(vocab))
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(Tokenized(ids=_TokenIds(rows, vocab), vocab=vocab), show_progress=False)
        retriever.save(str(directory / "bm25s"))
        order = sorted(range(len(rows)), key=lambda n: rows[n].county)
        counties = np.array([rows[n].county for n in order])
        np.save(directory / "county_order.npy", np.array(order, dtype=np.int32))
        np.save(directory / "county_codes.npy", counties)
        return {"build_s": round(time.monotonic() - began, 1)}

    def load(self, directory: Path) -> None:
        import bm25s

        self.retriever = bm25s.BM25.load(str(directory / "bm25s"), mmap=True, show_progress=False)
        self.vocab: dict[str, int] = self.retriever.vocab_dict
        self.sorted_vocab = sorted(self.vocab)
        order = np.load(directory / "county_order.npy")
        codes = np.load(directory / "county_codes.npy")
        self.by_county = {c: order[codes == c] for c in np.unique(codes)}  # a facet's id array
        self.n = len(order)

    def _expand(self, prefix: str) -> list[str]:
        start = bisect.bisect_left(self.sorted_vocab, prefix)
        out = []
        for token in self.sorted_vocab[start:]:
            if not token.startswith(prefix):
                break
            out.append(token)
        return out

    def search(self, ranking: Ranking, county: str | None) -> list[int]:
        tokens: list[str] = []
        for term in ranking.terms:
            tokens += self._expand(term.tokens[0]) if term.kind == "prefix" else list(term.tokens)
        ids = [self.vocab[token] for token in dict.fromkeys(tokens) if token in self.vocab]
        if not ids:
            return []
        mask = None
        if county:
            mask = np.zeros(self.n, dtype=np.float32)
            mask[self.by_county.get(county, [])] = 1.0
        docs, scores = self.retriever.retrieve([ids], k=DEPTH, show_progress=False, weight_mask=mask)
        return [int(d) for d, s in zip(docs[0], scores[0], strict=True) if s > 0]


class Postings(Engine):
    """``search.keyword``: numpy postings in memory-mapped files, concept expressions precomputed.

    Built as the indexer writes it (``write_keyword_index`` with every taxonomy concept
    expression, vec_id = chunk id + 1); a county filter is a row mask per segment from a
    per-county boolean array over vec ids (what a facet array loaded with the generation
    gives), made once per query and shared by its rankings.
    """

    by_county: dict[str, np.ndarray]  # county → boolean array over vec ids, set by worker_query

    def build(self, directory: Path, rows: list[Row]) -> dict[str, Any]:
        from search.normalize import NORMALIZER_VERSION

        keyword, hybrid = _keyword_modules()
        began = time.monotonic()
        keyword.write_keyword_index(directory, None, np.arange(1, len(rows) + 1, dtype=np.int64),
                                    lambda vec_ids: {v: rows[v - 1].norm for v in vec_ids},
                                    hybrid.concept_expressions(), NORMALIZER_VERSION, "s0")
        return {"build_s": round(time.monotonic() - began, 1)}

    def load(self, directory: Path) -> None:
        keyword, _ = _keyword_modules()
        index = keyword.KeywordIndex.load(directory)
        if index is None:
            raise SystemExit(f"no keyword index in {directory}")
        self.index = index
        self._masks: tuple[str, list[np.ndarray]] | None = None

    def search(self, ranking: Ranking, county: str | None) -> list[int]:
        masks = None
        if county:
            if self._masks is None or self._masks[0] != county:
                allowed = self.by_county[county]
                self._masks = (county, self.index.row_masks(lambda vec_ids: allowed[vec_ids]))
            masks = self._masks[1]
        return [v - 1 for v, _ in self.index.search([t.fts for t in ranking.terms], DEPTH, masks=masks)]


def _keyword_modules() -> tuple[Any, Any]:
    """``search.keyword`` and ``search.hybrid``, by name: the postings module (and hybrid's
    ``concept_expressions``) arrive with issue 15's keyword side, and this bench runs and
    type-checks on either side of that change (without it, ``postings`` reports the error)."""
    import importlib

    return importlib.import_module("search.keyword"), importlib.import_module("search.hybrid")


ENGINES: dict[str, Callable[[], Engine]] = {"fts5": Fts5, "tantivy": Tantivy, "bm25s": Bm25s, "postings": Postings}


def engine_of(option: str) -> tuple[Engine, bool]:
    base, _, suffix = option.partition("-")
    if base not in ENGINES or suffix not in ("", "concepts") or (suffix and base not in ("fts5", "tantivy")):
        raise SystemExit(f"unknown option {option!r}")
    engine = ENGINES[base]()
    engine.concepts = suffix == "concepts"
    return engine, engine.concepts


# -- memory and the two worker processes ----------------------------------------------------------


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def reset_peak() -> float:
    """Reset VmHWM (the peak RSS) to the current RSS (Linux clear_refs 5); returns the RSS in MB."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        pass
    return _status_mb("VmRSS")


def worker_build(option: str, corpus: Path, directory: Path) -> dict[str, Any]:
    engine, concepts = engine_of(option)
    rows = read_corpus(corpus)
    base = reset_peak()
    began = time.monotonic()
    if concepts:
        rows = tagged(rows)
    tag_s = time.monotonic() - began
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True)
    result = engine.build(directory, rows)
    if concepts:
        result["concept_tagging_s"] = round(tag_s, 1)
        result["build_s"] = round(result["build_s"] + tag_s, 1)
    result["rss_build_peak_added_mb"] = round(_status_mb("VmHWM") - base, 1)
    result["disk_mb"] = round(sum(f.stat().st_size for f in directory.rglob("*") if f.is_file()) / 1e6, 1)
    return result


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50_ms": round(1000 * ordered[int(0.50 * (len(ordered) - 1))], 2),
        "p95_ms": round(1000 * ordered[int(0.95 * (len(ordered) - 1))], 2),
        "max_ms": round(1000 * ordered[-1], 2),
        "mean_ms": round(1000 * statistics.fmean(ordered), 2),
    }


def worker_query(option: str, corpus: Path, directory: Path, queries: int, repeat: int,
                 rankings_out: Path) -> dict[str, Any]:
    engine, concepts = engine_of(option)
    texts = query_texts(queries)
    rankings = plan_rankings(texts, concepts)
    by_query: dict[int, list[Ranking]] = {}
    for ranking in rankings:
        by_query.setdefault(ranking.query, []).append(ranking)
    if isinstance(engine, Postings):
        # Per county a boolean array over vec ids (index 0 unused), as a facet array would be.
        codes = np.array([""] + [r.county for r in read_corpus(corpus)])
        engine.by_county = {c: codes == c for c in COUNTIES}
        del codes
    base = reset_peak()
    began = time.monotonic()
    engine.load(directory)
    load_s = time.monotonic() - began
    found: dict[str, list[int]] = {}
    latency: dict[str, list[float]] = {"unfiltered": [], "filtered": []}
    slowest: dict[str, tuple[float, str]] = {"unfiltered": (0.0, ""), "filtered": (0.0, "")}
    per_kind: dict[str, list[float]] = {}  # one ranking's time by kind (words, parts, concept, names)
    for run in range(repeat):
        for q, own in sorted(by_query.items()):
            for variant in ("unfiltered", "filtered"):
                county = COUNTIES[q % len(COUNTIES)] if variant == "filtered" else None
                answers = []
                took = 0.0
                for ranking in own:
                    began = time.perf_counter()
                    answers.append(engine.search(ranking, county))
                    spent = time.perf_counter() - began
                    took += spent
                    per_kind.setdefault(f"{variant}:{ranking.label.split(':')[0]}", []).append(spent)
                latency[variant].append(took)
                if took > slowest[variant][0]:
                    slowest[variant] = (took, texts[q])
                if run == 0:
                    for ranking, ids in zip(own, answers, strict=True):
                        found[f"{q}|{ranking.label}|{variant}"] = ids
    rankings_out.write_text(json.dumps(found))
    return {
        "load_s": round(load_s, 2),
        "rss_search_peak_added_mb": round(_status_mb("VmHWM") - base, 1),
        "queries": len(by_query),
        "rankings_per_query": round(len(rankings) / max(1, len(by_query)), 1),
        **{variant: {**_percentiles(values), "slowest_query": slowest[variant][1]}
           for variant, values in latency.items()},
        "ranking_ms_by_kind": {kind: {"mean": round(1000 * statistics.fmean(v), 2), "max": round(1000 * max(v), 2)}
                               for kind, v in sorted(per_kind.items())},
    }


# -- agreement --------------------------------------------------------------------------------


def agreement(reference: dict[str, list[int]], other: dict[str, list[int]]) -> dict[str, Any]:
    """How far an option's rankings are from fts5's, over the rankings fts5 finds anything for.

    ``jaccard200``: mean Jaccard index of the top-200 id sets; ``top10_same_order``: share of
    rankings with the same ten ids in the same order; ``top10_same_set``: the same ten ids in
    any order; ``top10_in_top20``: share of fts5's top ten in the option's top twenty. On this
    synthetic text (random words) BM25 scores are dense and near-ties everywhere, so engines
    that break ties differently, weigh idf differently (FTS5 floors a term in over half the
    chunks at ~0, Lucene's idf stays positive) or bucket lengths (tantivy: 256 values) part
    at the top; the per-kind figures show where.
    """
    stats: dict[str, dict[str, list[float]]] = {}
    worst: tuple[float, str] = (2.0, "")
    for key, ref in reference.items():
        if not ref:
            continue
        mine = other.get(key, [])
        _, label, variant = key.split("|")
        jaccard = len(set(ref) & set(mine)) / len(set(ref) | set(mine))
        measures = {
            "jaccard200": jaccard,
            "top10_same_order": float(ref[:TOP_ORDER] == mine[:TOP_ORDER]),
            "top10_same_set": float(set(ref[:TOP_ORDER]) == set(mine[:TOP_ORDER])),
            "top10_in_top20": len(set(ref[:TOP_ORDER]) & set(mine[:2 * TOP_ORDER])) / len(ref[:TOP_ORDER]),
        }
        for group in (variant, f"{variant}:{label.split(':')[0]}"):
            for name, value in measures.items():
                stats.setdefault(group, {}).setdefault(name, []).append(value)
        if jaccard < worst[0]:
            worst = (jaccard, key)
    return {
        "rankings": sum(1 for ref in reference.values() if ref),
        **{group: {name: round(statistics.fmean(values), 3) for name, values in measures.items()}
           | {"n": len(measures["jaccard200"])}
           for group, measures in sorted(stats.items())},
        "worst_ranking": {"key": worst[1], "jaccard200": round(worst[0], 3)},
    }


# -- driver -----------------------------------------------------------------------------------


def _run_worker(*argv: str) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, __file__, "--worker", *argv], env=env, cwd=REPO,
                          capture_output=True, text=True, check=False)
    if done.returncode != 0:
        return {"error": done.stderr.strip().splitlines()[-1:] or [f"exit {done.returncode}"]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def measure(size: int, options: list[str], data_dir: Path, queries: int, repeat: int,
            retention_max: int) -> Iterator[tuple[str, Any]]:
    corpus = data_dir / f"corpus-{size}.tsv"
    if not corpus.is_file():
        print(f"{size}: writing the corpus", file=sys.stderr)
        yield "corpus_normalise_s", round(write_corpus(corpus, size), 1)
    rankings: dict[str, dict[str, list[int]]] = {}
    results: dict[str, Any] = {}
    for option in options:
        directory = data_dir / f"{option}-{size}"
        out = data_dir / f"rankings-{option}-{size}.json"
        print(f"{size}: {option} build", file=sys.stderr)
        load = [round(os.getloadavg()[0], 2)]
        built = _run_worker("build", option, str(corpus), str(directory))
        print(f"{size}: {option} query {json.dumps(built)}", file=sys.stderr)
        searched = {} if "error" in built else _run_worker(
            "query", option, str(corpus), str(directory), str(queries), str(repeat), str(out))
        load.append(round(os.getloadavg()[0], 2))
        results[option] = {**built, **searched, "load_average_1m": load}
        if out.is_file() and "error" not in searched:
            rankings[option] = json.loads(out.read_text())
        print(f"{size}: {option} {json.dumps(results[option])}", file=sys.stderr)
    reference = data_dir / f"rankings-fts5-{size}.json"
    if "fts5" not in rankings and reference.is_file():
        # An option measured on its own is compared with the fts5 rankings of an earlier run
        # over the same corpus (the same queries: the rankings' keys must all be there).
        rankings = {"fts5": json.loads(reference.read_text()), **rankings}
        yield "fts5_reference", f"{reference.name} of an earlier run over the same corpus"
    if "fts5" in rankings:
        for option, found in rankings.items():
            if option != "fts5" and option in results:
                results[option]["agreement_with_fts5"] = agreement(rankings["fts5"], found)
        if size <= retention_max:
            print(f"{size}: score retention", file=sys.stderr)
            retention = score_retention(data_dir / f"fts5-{size}" / "regionsok.db", query_texts(queries), rankings)
            for option, value in retention.items():
                if option in results:
                    results[option]["agreement_with_fts5"]["fts5_score_retention10"] = value
    yield "options", results


def score_retention(db: Path, texts: list[str], rankings: dict[str, dict[str, list[int]]]) -> dict[str, Any]:
    """FTS5's own BM25 of each option's top ten over that of FTS5's top ten, averaged.

    The tie-tolerant measure: 1.0 when an option's top ten is as good as FTS5's by FTS5's
    score, whatever the order of near-ties; lower when it ranks chunks FTS5 scores worse.
    """
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    match = {f"{r.query}|{r.label}": " OR ".join(t.fts for t in r.terms) for r in plan_rankings(texts, False)}
    sums: dict[str, dict[str, list[float]]] = {}
    cache: dict[tuple[str, int], float] = {}

    def scores(expression: str, ids: list[int]) -> float:
        missing = [i for i in ids if (expression, i) not in cache]
        if missing:
            marks = ",".join("?" * len(missing))
            found = dict(conn.execute(f"SELECT rowid - 1, -bm25(chunks_fts) FROM chunks_fts WHERE chunks_fts "
                                      f"MATCH ? AND rowid IN ({marks})", (expression, *[i + 1 for i in missing])))
            for i in missing:
                cache[(expression, i)] = float(found.get(i, 0.0))
        return sum(cache[(expression, i)] for i in ids)

    for key, ref in rankings["fts5"].items():
        if not ref:
            continue
        query, label, variant = key.split("|")
        expression = match[f"{query}|{label}"]
        best = scores(expression, ref[:TOP_ORDER])
        if best <= 0:
            continue
        for option, found in rankings.items():
            if option != "fts5":
                value = scores(expression, found.get(key, [])[:TOP_ORDER]) / best
                sums.setdefault(option, {}).setdefault(variant, []).append(value)
    conn.close()
    return {option: {variant: round(statistics.fmean(v), 3) for variant, v in by.items()}
            for option, by in sums.items()}


def summary(report: dict[str, Any]) -> str:
    """The report as a Markdown table (``--table FILE``), one row per size and option."""
    lines = ["| chunks | option | build s | disk MB | RSS build / search MB | unfiltered p50 / p95 / max ms "
             "| filtered p50 / p95 / max ms | Jaccard@200 | top-10 same order / same set | load 1m |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for size, measured in report["sizes"].items():
        for option, r in measured["options"].items():
            if "error" in r:
                lines.append(f"| {size} | {option} | error: {' '.join(r['error'])} | | | | | | | |")
                continue
            agree = r.get("agreement_with_fts5", {}).get("unfiltered", {})
            u, f = r["unfiltered"], r["filtered"]
            same = f"{agree['top10_same_order']} / {agree['top10_same_set']}" if agree else "(reference)"
            lines.append(
                f"| {size} | {option} | {r['build_s']} | {r['disk_mb']} | {r['rss_build_peak_added_mb']} / "
                f"{r['rss_search_peak_added_mb']} | {u['p50_ms']} / {u['p95_ms']} / {u['max_ms']} | "
                f"{f['p50_ms']} / {f['p95_ms']} / {f['max_ms']} | {agree.get('jaccard200', '—')} | {same} | "
                f"{'–'.join(str(x) for x in r['load_average_1m'])} |")
    return "\n".join(lines)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--table":
        print(summary(json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))))
        return
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        mode, option, corpus, directory, *rest = sys.argv[2:]
        if mode == "build":
            print(json.dumps(worker_build(option, Path(corpus), Path(directory))))
        else:
            print(json.dumps(worker_query(option, Path(corpus), Path(directory), int(rest[0]), int(rest[1]),
                                          Path(rest[2]))))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", default="100000", help="comma-separated corpus sizes (default 100000)")
    parser.add_argument("--queries", type=int, default=30, help="queries of the fixed list to run (default 30)")
    parser.add_argument("--repeat", type=int, default=2, help="times the query list is run (default 2)")
    parser.add_argument("--options", default="fts5,fts5-concepts,tantivy,bm25s,postings")
    parser.add_argument("--retention-max", type=int, default=200_000,
                        help="largest size whose FTS5 score retention is computed (FTS5 re-scores every top ten)")
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/kwbench-data"),
                        help="corpus and indexes (reused corpus; indexes rebuilt)")
    args = parser.parse_args()
    options = [o.strip() for o in args.options.split(",") if o.strip()]
    for option in options:
        engine_of(option)
    began_load = os.getloadavg()
    report: dict[str, Any] = {
        "bench": "keyword_options",
        "cpu_count": os.cpu_count(),
        "depth": DEPTH,
        "words_per_chunk": WORDS_PER_CHUNK,
        "queries": query_texts(args.queries),
        "repeat": args.repeat,
        "load_average_start": [round(x, 2) for x in began_load],
        "sizes": {},
    }
    for size in (int(s) for s in args.chunks.split(",")):
        report["sizes"][str(size)] = dict(measure(size, options, args.data_dir, args.queries, args.repeat,
                                                  args.retention_max))
    report["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
