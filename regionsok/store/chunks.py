"""Store SQL for chunks, the FTS5 keyword index and search filters (search stage).

``chunks.vec_id`` is three ids at once: the chunk row, the FTS5 rowid (``chunks_fts`` is an
external-content table over ``chunks.norm``) and the id of the chunk's vector in FAISS.
It is AUTOINCREMENT, so an id is never reused: a stale vector can never point at a new
chunk. External content means FTS rows are written here, by hand, next to every chunk
insert and delete (with the exact old ``norm``, as FTS5 requires).

Filters are SQL over ``documents`` (alias ``d``) and ``doc_facets``, used both to restrict
the keyword search and to list the vector ids a filtered vector search may return — so
filtering always happens before ranking.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from regionsok.errors import StoreError
from regionsok.records import Chunk, SearchFilters, StoredText
from regionsok.store.queries import Connection, rows_in
from regionsok.text import fold


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk to insert: the chunk itself, its FAISS id and its FTS terms (search's normaliser)."""

    vec_id: int
    chunk: Chunk
    norm: str


#: What PostgreSQL says to the FTS5 keyword reads, which stay SQLite's (the keyword side moves
#: out of the store into the index generations; it is not ported to PostgreSQL).
NO_KEYWORDS_ON_POSTGRES = "the FTS5 keyword index is not on PostgreSQL: {what} needs the SQLite store"

#: The filter of an unfiltered search: every document not marked removed.
LIVE_DOCUMENTS = "d.removed_at IS NULL"


def _filter_sql(filters: SearchFilters | None) -> tuple[str, list[Any]]:
    """A WHERE clause over ``documents d`` (live documents only) and its parameters.

    Counties come from the NLP facets (``doc_facets`` county) and fall back to the source's
    ``county_code`` only for documents with no county facet at all. Organisations and
    people match on the folded value, so case and diacritics do not matter.
    """
    clauses = [LIVE_DOCUMENTS]
    params: list[Any] = []
    if filters is None:
        return LIVE_DOCUMENTS, params
    counties = filters.counties

    def marks(values: Sequence[str]) -> str:
        return ",".join("?" * len(values))

    if filters.counties:
        clauses.append(
            f"(EXISTS (SELECT 1 FROM doc_facets f WHERE f.doc_id = d.doc_id AND f.facet = 'county' "
            f"AND f.value IN ({marks(counties)})) OR (d.county_code IN ({marks(counties)}) AND NOT EXISTS "
            f"(SELECT 1 FROM doc_facets f WHERE f.doc_id = d.doc_id AND f.facet = 'county')))"
        )
        params += [*counties, *counties]
    if filters.kinds:
        clauses.append(f"d.kind IN ({marks(filters.kinds)})")
        params += list(filters.kinds)
    if filters.since is not None:
        clauses.append("d.published >= ?")
        params.append(filters.since.isoformat())
    if filters.until is not None:
        clauses.append("d.published <= ?")
        params.append(filters.until.isoformat())
    if filters.language is not None:
        clauses.append("d.language = ?")
        params.append(filters.language)
    for facet, values, folded in (
        ("organisation", filters.organisations, True),
        ("person", filters.people, True),
        ("focus_area", filters.focus_areas, False),
        ("target_group", filters.target_groups, False),
    ):
        if values:
            column = "norm" if folded else "value"
            wanted = [fold(v) for v in values] if folded else list(values)
            clauses.append(
                f"EXISTS (SELECT 1 FROM doc_facets f WHERE f.doc_id = d.doc_id AND f.facet = ? "
                f"AND f.{column} IN ({marks(wanted)}))"
            )
            params += [facet, *wanted]
    return " AND ".join(clauses), params


class ChunkTables:
    conn: Connection
    backend: Literal["sqlite", "postgresql"]

    def transaction(self) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    # -- vectors of an index run that has not published yet -----------------------------------

    def cached_vectors(self, model: str, text_hashes: Sequence[str]) -> dict[str, bytes]:
        """text SHA-256 → float32 vector bytes embedded earlier with ``model`` (see migration 2)."""
        return {
            row[0]: row[1]
            for row in rows_in(
                self.conn, "SELECT text_sha256, vector FROM embedding_cache WHERE model = ? AND text_sha256 IN ({marks})",
                text_hashes, (model,),
            )
        }

    def cache_vectors(self, model: str, vectors: Iterable[tuple[str, bytes]]) -> None:
        """Keep freshly embedded vectors, committed at once: a killed run keeps them."""
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO embedding_cache (text_sha256, model, vector) VALUES (?, ?, ?) "
                "ON CONFLICT (text_sha256, model) DO UPDATE SET vector = excluded.vector",
                [(digest, model, blob) for digest, blob in vectors],
            )

    def clear_vector_cache(self) -> None:
        """Drop the kept vectors once the index that holds them is published and committed."""
        with self.transaction():
            self.conn.execute("DELETE FROM embedding_cache")

    # -- what needs indexing ---------------------------------------------------------------

    def documents_to_index(self) -> list[StoredText]:
        """Live, extracted documents whose text the index does not hold (new or changed).

        A document waiting for its extraction is not indexed yet: it would be found without
        its counties, people and focus areas (the indexer extracts pending documents first).
        """
        return [StoredText(doc_id=r[0], title=r[1], text=r[2], sha256=r[3]) for r in self.conn.execute(
            "SELECT doc_id, title, text, sha256 FROM documents d WHERE removed_at IS NULL AND "
            "(indexed_sha256 IS NULL OR indexed_sha256 != sha256) AND EXISTS (SELECT 1 FROM "
            "extractions e WHERE e.doc_id = d.doc_id AND e.sha256 = d.sha256) ORDER BY doc_id"
        )]

    def documents_to_unindex(self) -> list[str]:
        """Removed documents that still have chunks or an indexed hash."""
        return [r[0] for r in self.conn.execute(
            "SELECT doc_id FROM documents d WHERE removed_at IS NOT NULL AND (indexed_sha256 IS NOT NULL "
            "OR EXISTS (SELECT 1 FROM chunks c WHERE c.doc_id = d.doc_id)) ORDER BY doc_id"
        )]

    def chunk_ids_for_document(self, doc_id: str) -> dict[str, int]:
        """chunk_id → vec_id of a document's current chunks."""
        return {r[0]: r[1] for r in self.conn.execute(
            "SELECT chunk_id, vec_id FROM chunks WHERE doc_id = ?", (doc_id,)
        )}

    def next_vec_id(self) -> int:
        """The first vec_id never used (AUTOINCREMENT's counter, or past the largest row)."""
        if self.backend == "postgresql":
            # The identity's counter, which a trigger keeps past every inserted id (schema.py).
            seq = self.conn.execute(
                "SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM chunks_vec_id_seq"
            ).fetchone()
        else:
            seq = self.conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'chunks'").fetchone()
        top = self.conn.execute("SELECT max(vec_id) FROM chunks").fetchone()[0]
        return int(max(seq[0] if seq else 0, top or 0)) + 1

    def all_vec_ids(self) -> np.ndarray:
        return np.fromiter((r[0] for r in self.conn.execute("SELECT vec_id FROM chunks")), dtype=np.int64)

    def chunk_texts(self, vec_ids: Iterable[int]) -> list[tuple[int, str]]:
        """(vec_id, text) of the given chunks, in vec_id order."""
        return sorted(
            (r[0], r[1]) for r in rows_in(self.conn, "SELECT vec_id, text FROM chunks WHERE vec_id IN ({marks})", vec_ids)
        )

    # -- writes (the caller wraps them in one transaction) -------------------------------------

    def replace_document_chunks(self, doc_id: str, keep: Iterable[str], new: Iterable[NewChunk]) -> int:
        """Delete a document's chunks except ``keep`` (chunk_ids), insert ``new``; keeps FTS in step.

        Returns how many chunk rows were deleted.
        """
        keep_set = set(keep)
        fts = self.backend == "sqlite"  # PostgreSQL has no chunks_fts (see NO_KEYWORDS_ON_POSTGRES)
        old = [r for r in self.conn.execute("SELECT vec_id, chunk_id, norm FROM chunks WHERE doc_id = ?",
                                            (doc_id,)) if r[1] not in keep_set]
        if fts:
            self.conn.executemany(
                "INSERT INTO chunks_fts (chunks_fts, rowid, norm) VALUES ('delete', ?, ?)",
                [(r[0], r[2]) for r in old],
            )
        self.conn.executemany("DELETE FROM chunks WHERE vec_id = ?", [(r[0],) for r in old])
        rows = [(c.vec_id, c.chunk.chunk_id, doc_id, c.chunk.ordinal, c.chunk.text, c.norm) for c in new]
        self.conn.executemany(
            "INSERT INTO chunks (vec_id, chunk_id, doc_id, ordinal, text, norm) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
        if fts:
            self.conn.executemany("INSERT INTO chunks_fts (rowid, norm) VALUES (?, ?)", [(r[0], r[5]) for r in rows])
        return len(old)

    def set_indexed_sha256(self, doc_id: str, sha256: str | None) -> None:
        self.conn.execute("UPDATE documents SET indexed_sha256 = ? WHERE doc_id = ?", (sha256, doc_id))

    def renormalize_chunks(self, normalize: Any) -> int:
        """Recompute every chunk's FTS terms (after the normaliser changed) and rebuild FTS."""
        rows = list(self.conn.execute("SELECT vec_id, text FROM chunks"))
        self.conn.executemany("UPDATE chunks SET norm = ? WHERE vec_id = ?",
                              [(normalize(r[1]), r[0]) for r in rows])
        if self.backend == "sqlite":
            self.conn.execute("INSERT INTO chunks_fts (chunks_fts) VALUES ('rebuild')")
        return len(rows)

    # -- search reads ------------------------------------------------------------------------

    def keyword_search(self, match: str, limit: int, filters: SearchFilters | None = None) -> list[tuple[int, float]]:
        """(vec_id, bm25 score, higher is better) of the best chunks matching an FTS5 expression.

        Without a filter the FTS5 table is queried alone: joining every matching row to its
        document roughly doubles the cost of a frequent term, and chunks of removed documents
        (left only until the next index run) are dropped later by ``chunk_rows``.
        """
        self._need_fts("keyword_search")
        if filters is None or filters.is_empty():
            return [(r[0], r[1]) for r in self.conn.execute(
                "SELECT rowid, -rank FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY rank LIMIT ?", (match, limit)
            )]
        where, params = _filter_sql(filters)
        sql = (
            "SELECT c.vec_id, -bm25(chunks_fts) AS score FROM chunks_fts "
            "JOIN chunks c ON c.vec_id = chunks_fts.rowid JOIN documents d ON d.doc_id = c.doc_id "
            f"WHERE chunks_fts MATCH ? AND {where} ORDER BY bm25(chunks_fts) LIMIT ?"
        )
        return [(r[0], r[1]) for r in self.conn.execute(sql, [match, *params, limit])]

    def filtered_vec_ids(self, filters: SearchFilters) -> np.ndarray:
        """vec_ids of every chunk of the documents the filter admits."""
        self._need_fts("filtered_vec_ids")
        where, params = _filter_sql(filters)
        sql = f"SELECT c.vec_id FROM chunks c JOIN documents d ON d.doc_id = c.doc_id WHERE {where}"
        return np.fromiter((r[0] for r in self.conn.execute(sql, list(params))), dtype=np.int64)

    def chunk_rows(self, vec_ids: Sequence[int]) -> dict[int, Chunk]:
        """vec_id → the chunk, for live documents' chunks."""
        return {
            r[0]: Chunk(chunk_id=r[1], doc_id=r[2], ordinal=r[3], text=r[4])
            for r in rows_in(
                self.conn,
                "SELECT c.vec_id, c.chunk_id, c.doc_id, c.ordinal, c.text FROM chunks c "
                "JOIN documents d ON d.doc_id = c.doc_id WHERE d.removed_at IS NULL AND c.vec_id IN ({marks})",
                vec_ids,
            )
        }

    def term_chunk_count(self, token: str) -> int:
        """How many chunks contain an FTS5 token (from a per-connection fts5vocab table)."""
        self._need_fts("term_chunk_count")
        self.conn.execute(
            "CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, chunks_fts, 'row')"
        )
        row = self.conn.execute("SELECT doc FROM temp.chunks_vocab WHERE term = ?", (token,)).fetchone()
        return int(row[0]) if row else 0

    def _need_fts(self, what: str) -> None:
        if self.backend != "sqlite":
            raise StoreError(NO_KEYWORDS_ON_POSTGRES.format(what=what))

    def chunk_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

