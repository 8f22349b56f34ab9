"""Store SQL for documents, their versions and URLs, ingest errors, extractions, facets
and run reports.

Versioning: every text a document has had is a row in ``document_versions``; the
``documents`` row holds the current one. Exact duplicate texts under several URLs are
one document with all its URLs in ``document_urls``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, Literal

from regionsok.records import Document, Extraction, StoredText
from regionsok.store.queries import Connection, Row
from regionsok.text import canonical_url, fold
from regionsok.timefmt import utcnow

DocumentChange = Literal["new", "changed", "unchanged", "duplicate"]


class DocumentTables:
    conn: Connection
    backend: Literal["sqlite", "postgresql"]

    def transaction(self) -> AbstractContextManager[Connection]:  # provided by Store
        raise NotImplementedError

    # -- documents -------------------------------------------------------------------

    def upsert_document(self, doc: Document) -> tuple[DocumentChange, str]:
        """Insert or update a document; returns what happened and the doc_id it landed in.

        - a URL we know with the same text: 'unchanged' (nothing written);
        - a URL we know with a new text: 'changed' (version n+1, version n kept);
        - a new URL whose exact text another live document has: 'duplicate' (URL added);
        - otherwise 'new' (version 1).
        """
        now = utcnow()
        sha = doc.sha256
        published = doc.published.isoformat() if doc.published else None
        urls = [canonical_url(u) for u in (doc.url, *doc.urls)]
        with self.transaction():
            existing = self._doc_for_urls(urls)
            if existing is not None:
                row = self.conn.execute(
                    "SELECT sha256, version, removed_at FROM documents WHERE doc_id = ?", (existing,)
                ).fetchone()
                self._add_urls(existing, urls)
                if row["sha256"] == sha:
                    if row["removed_at"] is not None:
                        self.conn.execute(
                            "UPDATE documents SET removed_at = NULL WHERE doc_id = ?", (existing,)
                        )
                    return "unchanged", existing
                version = row["version"] + 1
                self.conn.execute(
                    """UPDATE documents SET title = ?, text = ?, language = ?, kind = ?, published = ?,
                       site_name = ?, source = COALESCE(?, source),
                       county_code = COALESCE(?, county_code), sha256 = ?, version = ?,
                       last_changed = ?, removed_at = NULL WHERE doc_id = ?""",
                    (doc.title, doc.text, doc.language, doc.kind, published, doc.site_name, doc.source,
                     doc.county_code, sha, version, now, existing),
                )
                self._add_version(existing, version, doc, sha, published, now)
                return "changed", existing
            twin = self.conn.execute(
                "SELECT doc_id FROM documents WHERE sha256 = ? AND removed_at IS NULL LIMIT 1", (sha,)
            ).fetchone()
            if twin is not None:
                self._add_urls(twin["doc_id"], urls)
                return "duplicate", twin["doc_id"]
            doc_id = doc.doc_id
            self.conn.execute(
                """INSERT INTO documents (doc_id, url, title, text, language, kind, published, site_name,
                   source, county_code, sha256, version, first_seen, last_changed)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)""",
                (doc_id, urls[0], doc.title, doc.text, doc.language, doc.kind, published, doc.site_name,
                 doc.source, doc.county_code, sha, now, now),
            )
            self._add_urls(doc_id, urls)
            self._add_version(doc_id, 1, doc, sha, published, now)
            return "new", doc_id

    def _doc_for_urls(self, urls: list[str]) -> str | None:
        marks = ",".join("?" * len(urls))
        row = self.conn.execute(
            f"SELECT doc_id FROM document_urls WHERE url IN ({marks}) LIMIT 1", urls
        ).fetchone()
        return row[0] if row else None

    def _add_urls(self, doc_id: str, urls: list[str]) -> None:
        self.conn.executemany(
            "INSERT INTO document_urls (url, doc_id) VALUES (?, ?) ON CONFLICT DO NOTHING", [(u, doc_id) for u in urls]
        )

    def _add_version(
        self, doc_id: str, version: int, doc: Document, sha: str, published: str | None, now: str
    ) -> None:
        self.conn.execute(
            "INSERT INTO document_versions (doc_id, version, title, text, sha256, published, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (doc_id, version, doc.title, doc.text, sha, published, now),
        )

    def get_document(self, doc_id: str) -> Row | None:
        return self.conn.execute("SELECT * FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()

    def document_urls(self, doc_id: str) -> list[str]:
        return [
            r[0] for r in self.conn.execute(
                "SELECT url FROM document_urls WHERE doc_id = ? ORDER BY url", (doc_id,)
            )
        ]

    def document_versions(self, doc_id: str) -> list[Row]:
        return list(
            self.conn.execute(
                "SELECT version, title, text, sha256, published, created_at FROM document_versions "
                "WHERE doc_id = ? ORDER BY version",
                (doc_id,),
            )
        )

    def iter_documents(self, *, include_removed: bool = False) -> Iterator[Row]:
        where = "" if include_removed else "WHERE removed_at IS NULL"
        yield from self.conn.execute(f"SELECT * FROM documents {where} ORDER BY published NULLS FIRST, doc_id")

    # -- ingest errors ---------------------------------------------------------------

    def record_error(self, input_name: str, reason: str) -> None:
        self.conn.execute(
            "INSERT INTO ingest_errors (input, reason, at) VALUES (?, ?, ?) "
            "ON CONFLICT(input) DO UPDATE SET reason = excluded.reason, at = excluded.at",
            (input_name, reason, utcnow()),
        )

    def clear_error(self, input_name: str) -> None:
        self.conn.execute("DELETE FROM ingest_errors WHERE input = ?", (input_name,))

    def ingest_errors(self) -> list[Row]:
        return list(self.conn.execute("SELECT input, reason, at FROM ingest_errors ORDER BY input"))

    # -- extractions and facets ----------------------------------------------------------

    def documents_needing_extraction(
        self, pipeline_version: str, limit: int | None = None
    ) -> list[StoredText]:
        """Live documents with no extraction, or one computed from another text or pipeline."""
        sql = (
            "SELECT d.doc_id, d.title, d.text, d.county_code, d.kind, d.sha256 FROM documents d "
            "LEFT JOIN extractions e ON e.doc_id = d.doc_id WHERE d.removed_at IS NULL AND "
            "(e.doc_id IS NULL OR e.sha256 != d.sha256 OR e.pipeline_version != ?) ORDER BY d.doc_id"
        )
        params: tuple[Any, ...] = (pipeline_version,)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        return [StoredText(doc_id=r["doc_id"], sha256=r["sha256"], title=r["title"], text=r["text"],
                           county_code=r["county_code"], kind=r["kind"]) for r in self.conn.execute(sql, params)]

    def documents_awaiting_extraction(self, pipeline_version: str | None = None) -> int:
        """How many live documents have no extraction of their current text (or of ``pipeline_version``)."""
        sql = (
            "SELECT count(*) FROM documents d LEFT JOIN extractions e ON e.doc_id = d.doc_id "
            "WHERE d.removed_at IS NULL AND (e.doc_id IS NULL OR e.sha256 != d.sha256"
        )
        params: tuple[Any, ...] = ()
        if pipeline_version is not None:
            sql += " OR e.pipeline_version != ?"
            params = (pipeline_version,)
        return int(self.conn.execute(sql + ")", params).fetchone()[0])

    def save_extraction(self, doc_id: str, sha256: str, extraction: Extraction) -> None:
        """Store an extraction and the filterable facets derived from it, atomically."""
        facets: set[tuple[str, str]] = set()
        facets.update(("county", c) for c in extraction.counties)
        facets.update(("organisation", o) for o in extraction.organisations)
        facets.update(("person", p.name) for p in extraction.people)
        facets.update(("party", p.party) for p in extraction.people if p.party)
        facets.update(("focus_area", f) for f in extraction.focus_areas)
        facets.update(("target_group", t) for t in extraction.target_groups)
        with self.transaction():
            self.conn.execute(
                "INSERT INTO extractions (doc_id, pipeline_version, sha256, data, extracted_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT(doc_id) DO UPDATE SET "
                "pipeline_version = excluded.pipeline_version, sha256 = excluded.sha256, "
                "data = excluded.data, extracted_at = excluded.extracted_at",
                (doc_id, extraction.pipeline_version, sha256,
                 json.dumps(extraction.to_json(), ensure_ascii=False), utcnow()),
            )
            self.conn.execute("DELETE FROM doc_facets WHERE doc_id = ?", (doc_id,))
            self.conn.executemany(
                "INSERT INTO doc_facets (doc_id, facet, value, norm) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                [(doc_id, facet, value, fold(value)) for facet, value in sorted(facets)],
            )
            if extraction.kind:
                self.conn.execute(
                    "UPDATE documents SET kind = ? WHERE doc_id = ?", (extraction.kind, doc_id)
                )

    def get_extraction(self, doc_id: str) -> Extraction | None:
        row = self.conn.execute(
            "SELECT data, pipeline_version FROM extractions WHERE doc_id = ?", (doc_id,)
        ).fetchone()
        if row is None:
            return None
        return Extraction.from_json(json.loads(row["data"]), row["pipeline_version"])

    # -- run reports ---------------------------------------------------------------------

    def save_run(
        self, run_id: str, command: str, started_at: str, finished_at: str | None, ok: bool | None,
        report: dict[str, Any],
    ) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT INTO runs (run_id, command, started_at, finished_at, ok, report) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(run_id) DO UPDATE SET "
                "finished_at = excluded.finished_at, ok = excluded.ok, report = excluded.report",
                (run_id, command, started_at, finished_at, None if ok is None else int(ok),
                 json.dumps(report, ensure_ascii=False, default=str)),
            )

    def last_run(self, command: str = "nightly") -> dict[str, Any] | None:
        row = self.conn.execute(
            "SELECT * FROM runs WHERE command = ? ORDER BY started_at DESC LIMIT 1", (command,)
        ).fetchone()
        if row is None:
            return None
        return {
            "run_id": row["run_id"], "command": row["command"], "started_at": row["started_at"],
            "finished_at": row["finished_at"], "ok": None if row["ok"] is None else bool(row["ok"]),
            "report": json.loads(row["report"]) if row["report"] else None,
        }

    # -- statistics ----------------------------------------------------------------------

    def stats(self) -> dict[str, Any]:
        """Counts for `regionsok stats` and /health."""
        one = lambda sql: self.conn.execute(sql).fetchone()[0]  # noqa: E731
        return {
            "documents": one("SELECT count(*) FROM documents WHERE removed_at IS NULL"),
            "documents_removed": one("SELECT count(*) FROM documents WHERE removed_at IS NOT NULL"),
            "versions": one("SELECT count(*) FROM document_versions"),
            "urls": one("SELECT count(*) FROM document_urls"),
            "pages": one("SELECT count(*) FROM pages"),
            "ingest_errors": one("SELECT count(*) FROM ingest_errors"),
            "extractions": one("SELECT count(*) FROM extractions"),
            # Waiting: stored documents not yet extracted (by the current text), and extracted
            # ones whose current text the search index does not hold yet.
            "awaiting_extraction": self.documents_awaiting_extraction(),
            "awaiting_index": one(
                "SELECT count(*) FROM documents WHERE removed_at IS NULL AND "
                "(indexed_sha256 IS NULL OR indexed_sha256 != sha256)"
            ),
            "chunks": one("SELECT count(*) FROM chunks"),
            "by_kind": dict(self.conn.execute(
                "SELECT kind, count(*) FROM documents WHERE removed_at IS NULL GROUP BY kind ORDER BY kind"
            ).fetchall()),
            "by_language": dict(self.conn.execute(
                "SELECT language, count(*) FROM documents WHERE removed_at IS NULL "
                "GROUP BY language ORDER BY language"
            ).fetchall()),
        }
