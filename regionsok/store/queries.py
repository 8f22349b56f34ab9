"""Store SQL for read-only lookups for the API (people, facets, documents).

Everything here only reads, so the API can hold its own connection per thread while the
nightly job writes (WAL keeps readers and the writer apart). Documents marked removed are
left out of every lookup: the API never shows a page the region has taken down.
(Run reports and chunk counts come from ``documents.py`` and ``chunks.py``.)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from regionsok.records import DocumentBrief, Extraction

if TYPE_CHECKING:
    from regionsok.store.postgres import PgRow

#: A result row of either backend: readable as ``row[0]`` and ``row["column"]``.
Row: TypeAlias = "sqlite3.Row | PgRow"


class Cursor(Protocol):
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What the store's SQL asks of a connection: sqlite3's, or regionsok.store.postgres's."""

    @property
    def total_changes(self) -> int: ...
    def execute(self, sql: str, parameters: Sequence[Any] = ..., /) -> Cursor: ...
    def executemany(self, sql: str, seq_of_parameters: Iterable[Sequence[Any]], /) -> Cursor: ...
    def close(self) -> None: ...

# SQLite's default limit on bound parameters is 32766 nowadays, but older builds use 999;
# batches stay well below either.
_BATCH = 500


def batches(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """``values`` in slices small enough for one ``IN (?, …)`` each."""
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


def rows_in(
    conn: Connection, sql: str, keys: Iterable[Any], before: tuple[Any, ...] = ()
) -> Iterator[Row]:
    """The rows of ``sql`` for every key, one query per batch of keys.

    ``sql`` holds ``{marks}`` where the ``IN`` list goes; ``before`` are the parameters that
    come before it. Keys are de-duplicated, order kept.
    """
    unique = list(dict.fromkeys(keys))
    for batch in batches(unique):
        yield from conn.execute(sql.format(marks=",".join("?" * len(batch))), (*before, *batch))


class ReadQueries:
    conn: Connection

    def facet_values(self, facet: str) -> list[Row]:
        """Distinct values of one facet with their folded form and live-document count."""
        return self.conn.execute(
            "SELECT f.value AS value, f.norm AS norm, count(DISTINCT f.doc_id) AS documents "
            "FROM doc_facets f JOIN documents d ON d.doc_id = f.doc_id "
            "WHERE f.facet = ? AND d.removed_at IS NULL GROUP BY f.value, f.norm "
            "ORDER BY documents DESC, f.value",
            (facet,),
        ).fetchall()

    def facet_counts(self) -> dict[str, dict[str, int]]:
        """Every facet's values and document counts (the `/facets` answer), plus kind and year."""
        out: dict[str, dict[str, int]] = {}
        rows = self.conn.execute(
            "SELECT f.facet AS facet, f.value AS value, count(DISTINCT f.doc_id) AS n "
            "FROM doc_facets f JOIN documents d ON d.doc_id = f.doc_id "
            "WHERE d.removed_at IS NULL GROUP BY f.facet, f.value ORDER BY f.facet, n DESC, f.value"
        )
        for row in rows:
            out.setdefault(row["facet"], {})[row["value"]] = row["n"]
        out["kind"] = {
            row["kind"]: row["n"]
            for row in self.conn.execute(
                "SELECT kind, count(*) AS n FROM documents WHERE removed_at IS NULL "
                "GROUP BY kind ORDER BY n DESC, kind"
            )
        }
        out["year"] = {
            row["year"]: row["n"]
            for row in self.conn.execute(
                "SELECT substr(published, 1, 4) AS year, count(*) AS n FROM documents "
                "WHERE removed_at IS NULL AND published IS NOT NULL GROUP BY year ORDER BY year DESC"
            )
        }
        return out

    def docs_with_facet(self, facet: str, norms: Sequence[str]) -> dict[str, list[str]]:
        """Live documents carrying any of the folded facet values: doc_id → matching values."""
        out: dict[str, list[str]] = {}
        for row in rows_in(
            self.conn,
            "SELECT f.doc_id AS doc_id, f.value AS value FROM doc_facets f JOIN documents d ON d.doc_id = f.doc_id "
            "WHERE f.facet = ? AND f.norm IN ({marks}) AND d.removed_at IS NULL",
            norms, (facet,),
        ):
            out.setdefault(row["doc_id"], []).append(row["value"])
        return out

    def document_briefs(self, doc_ids: Sequence[str]) -> dict[str, DocumentBrief]:
        """Live documents as listings show them (no text, with facets), keyed by doc_id."""
        facets: dict[str, dict[str, list[str]]] = {}
        for row in rows_in(
            self.conn,
            "SELECT doc_id, facet, value FROM doc_facets WHERE doc_id IN ({marks}) ORDER BY doc_id, facet, value",
            doc_ids,
        ):
            facets.setdefault(row["doc_id"], {}).setdefault(row["facet"], []).append(row["value"])
        return {
            row["doc_id"]: DocumentBrief(
                doc_id=row["doc_id"], url=row["url"], title=row["title"], kind=row["kind"],
                published=row["published"], language=row["language"], county_code=row["county_code"],
                facets=facets.get(row["doc_id"], {}),
            )
            for row in rows_in(
                self.conn,
                "SELECT doc_id, url, title, kind, published, language, county_code "
                "FROM documents WHERE doc_id IN ({marks}) AND removed_at IS NULL",
                doc_ids,
            )
        }

    def document_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current text of documents (for picking an evidence passage)."""
        return {
            row["doc_id"]: row["text"]
            for row in rows_in(self.conn, "SELECT doc_id, text FROM documents WHERE doc_id IN ({marks})", doc_ids)
        }

    def extractions_for(self, doc_ids: Sequence[str]) -> dict[str, Extraction]:
        """The stored NLP extractions of several documents at once."""
        return {
            row["doc_id"]: Extraction.from_json(json.loads(row["data"]), row["pipeline_version"])
            for row in rows_in(
                self.conn, "SELECT doc_id, pipeline_version, data FROM extractions WHERE doc_id IN ({marks})", doc_ids
            )
        }

    def live_document_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents WHERE removed_at IS NULL").fetchone()[0])
