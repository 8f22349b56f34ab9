"""Store SQL for chunks (search stage).

``chunks.vec_id`` is the chunk row and the id of its vector and keyword postings in the index
generation. It is AUTOINCREMENT, so an id is never reused: a stale vector can never point at a
new chunk. ``chunks.norm`` holds the Swedish-normalised terms the keyword index is built from
(search/keyword.py keeps that index in the generation's files; SQLite FTS5 held it before
schema version 4). Filters and facets read the columns ``search.catalog`` loads from here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from regionsok.records import Chunk, StoredText
from regionsok.store.queries import Connection, rows_in


@dataclass(frozen=True, slots=True)
class NewChunk:
    """A chunk to insert: the chunk itself, its index id and its keyword terms (search's normaliser)."""

    vec_id: int
    chunk: Chunk
    norm: str


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

    def chunk_norms(self, vec_ids: Iterable[int]) -> dict[int, str]:
        """vec_id → the chunk's keyword terms, for the given chunks."""
        return {r[0]: r[1] for r in rows_in(self.conn, "SELECT vec_id, norm FROM chunks WHERE vec_id IN ({marks})",
                                            vec_ids)}

    # -- writes (the caller wraps them in one transaction) -------------------------------------

    def replace_document_chunks(self, doc_id: str, keep: Iterable[str], new: Iterable[NewChunk]) -> int:
        """Delete a document's chunks except ``keep`` (chunk_ids), insert ``new``.

        Returns how many chunk rows were deleted.
        """
        keep_set = set(keep)
        old = [r for r in self.conn.execute("SELECT vec_id, chunk_id FROM chunks WHERE doc_id = ?",
                                            (doc_id,)) if r[1] not in keep_set]
        self.conn.executemany("DELETE FROM chunks WHERE vec_id = ?", [(r[0],) for r in old])
        rows = [(c.vec_id, c.chunk.chunk_id, doc_id, c.chunk.ordinal, c.chunk.text, c.norm) for c in new]
        self.conn.executemany(
            "INSERT INTO chunks (vec_id, chunk_id, doc_id, ordinal, text, norm) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
        return len(old)

    def set_indexed_sha256(self, doc_id: str, sha256: str | None) -> None:
        self.conn.execute("UPDATE documents SET indexed_sha256 = ? WHERE doc_id = ?", (sha256, doc_id))

    def renormalize_chunks(self, normalize: Any) -> int:
        """Recompute every chunk's keyword terms (after the normaliser changed)."""
        rows = list(self.conn.execute("SELECT vec_id, text FROM chunks"))
        self.conn.executemany("UPDATE chunks SET norm = ? WHERE vec_id = ?",
                              [(normalize(r[1]), r[0]) for r in rows])
        return len(rows)

    # -- search reads ------------------------------------------------------------------------

    def live_document_columns(self) -> list[tuple[str, str, str | None, str | None, str | None]]:
        """(doc_id, kind, published, language, county_code) of every live document, by doc_id."""
        return [tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            "SELECT doc_id, kind, published, language, county_code FROM documents "
            "WHERE removed_at IS NULL ORDER BY doc_id")]

    def document_facet_rows(self, facets: Sequence[str]) -> list[tuple[str, str, str, str | None]]:
        """(doc_id, facet, value, folded value) of the named facets, ordered like document_briefs."""
        marks = ",".join("?" * len(facets))
        return [tuple(r) for r in self.conn.execute(  # type: ignore[misc]
            f"SELECT doc_id, facet, value, norm FROM doc_facets WHERE facet IN ({marks}) "
            "ORDER BY doc_id, facet, value", list(facets))]

    def chunk_documents(self) -> tuple[np.ndarray, list[str]]:
        """(vec_ids, doc_id of each) of every chunk."""
        rows = self.conn.execute("SELECT vec_id, doc_id FROM chunks").fetchall()
        return np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows)), [r[1] for r in rows]

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

    def chunk_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM chunks").fetchone()[0])

