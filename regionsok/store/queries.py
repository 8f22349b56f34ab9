"""Store SQL for read-only lookups for the API (people, facets, documents).

Everything here only reads, so the API can hold its own connection per thread while the
nightly job writes (WAL keeps readers and the writer apart). Documents marked removed are
left out of every lookup: the API never shows a page the region has taken down.
(Run reports and chunk counts come from ``documents.py`` and ``chunks.py``.)
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from regionsok.records import Extraction

# SQLite's default limit on bound parameters is 32766 nowadays, but older builds use 999;
# batches stay well below either.
_BATCH = 500


def batches(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    """``values`` in slices small enough for one ``IN (?, …)`` each."""
    for start in range(0, len(values), _BATCH):
        yield values[start : start + _BATCH]


class ReadQueries:
    conn: sqlite3.Connection

    def facet_values(self, facet: str) -> list[sqlite3.Row]:
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
        for batch in batches(list(norms)):
            marks = ",".join("?" * len(batch))
            rows = self.conn.execute(
                f"SELECT f.doc_id AS doc_id, f.value AS value FROM doc_facets f "
                f"JOIN documents d ON d.doc_id = f.doc_id "
                f"WHERE f.facet = ? AND f.norm IN ({marks}) AND d.removed_at IS NULL",
                (facet, *batch),
            )
            for row in rows:
                out.setdefault(row["doc_id"], []).append(row["value"])
        return out

    def document_briefs(self, doc_ids: Sequence[str]) -> dict[str, sqlite3.Row]:
        """The listing columns (no text) of live documents, keyed by doc_id."""
        out: dict[str, sqlite3.Row] = {}
        for batch in batches(list(doc_ids)):
            marks = ",".join("?" * len(batch))
            for row in self.conn.execute(
                f"SELECT doc_id, url, title, kind, published, language, county_code "
                f"FROM documents WHERE doc_id IN ({marks}) AND removed_at IS NULL",
                tuple(batch),
            ):
                out[row["doc_id"]] = row
        return out

    def document_texts(self, doc_ids: Sequence[str]) -> dict[str, str]:
        """The current text of documents (for picking an evidence passage)."""
        out: dict[str, str] = {}
        for batch in batches(list(doc_ids)):
            marks = ",".join("?" * len(batch))
            for row in self.conn.execute(
                f"SELECT doc_id, text FROM documents WHERE doc_id IN ({marks})", tuple(batch)
            ):
                out[row["doc_id"]] = row["text"]
        return out

    def document_facet_map(self, doc_ids: Sequence[str]) -> dict[str, dict[str, list[str]]]:
        """doc_id → facet → values, for decorating listings."""
        out: dict[str, dict[str, list[str]]] = {}
        for batch in batches(list(doc_ids)):
            marks = ",".join("?" * len(batch))
            for row in self.conn.execute(
                f"SELECT doc_id, facet, value FROM doc_facets WHERE doc_id IN ({marks}) "
                f"ORDER BY doc_id, facet, value",
                tuple(batch),
            ):
                out.setdefault(row["doc_id"], {}).setdefault(row["facet"], []).append(row["value"])
        return out

    def documents_for_hits(self, doc_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        """doc_id → listing fields plus ``facets`` (facet → values) of live documents, for search hits."""
        briefs = self.document_briefs(doc_ids)
        facets = self.document_facet_map(list(briefs))
        return {doc_id: {**dict(row), "facets": facets.get(doc_id, {})} for doc_id, row in briefs.items()}

    def extractions_for(self, doc_ids: Sequence[str]) -> dict[str, Extraction]:
        """The stored NLP extractions of several documents at once."""
        out: dict[str, Extraction] = {}
        for batch in batches(list(doc_ids)):
            marks = ",".join("?" * len(batch))
            for row in self.conn.execute(
                f"SELECT doc_id, pipeline_version, data FROM extractions WHERE doc_id IN ({marks})",
                tuple(batch),
            ):
                out[row["doc_id"]] = Extraction.from_json(json.loads(row["data"]), row["pipeline_version"])
        return out

    def live_document_count(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents WHERE removed_at IS NULL").fetchone()[0])
