"""The schema, as an ordered list of migrations: SQLite's, and the same in PostgreSQL's dialect.

``PRAGMA user_version`` (PostgreSQL: the ``schema_version`` table) is the schema version:
migration *n* (1-based) brings a store from version *n-1* to *n* inside one transaction.
Never edit a migration that has shipped; append a new one to both lists.
"""

from __future__ import annotations

MIGRATIONS: list[str] = [
    # 1: pages, documents and their versions, extractions, chunks, keyword index, runs.
    """
    CREATE TABLE pages (
        url            TEXT PRIMARY KEY,      -- as requested (canonicalised)
        final_url      TEXT,                  -- after redirects
        source         TEXT,                  -- sources.toml name, 'file' or 'jsonl'
        county_code    TEXT,                  -- the source's county (hint)
        kind_hint      TEXT,                  -- the source's kind
        status         INTEGER NOT NULL,
        etag           TEXT,
        last_modified  TEXT,
        content_type   TEXT,
        sha256         TEXT,                  -- of the body
        body           BLOB,                  -- zlib-compressed raw body
        title_hint     TEXT,
        published_hint TEXT,
        fetched_at     TEXT NOT NULL,
        checked_at     TEXT NOT NULL,         -- last time we asked (304s update only this)
        removed_at     TEXT,                  -- set when the page answered 404/410
        ingested_sha256 TEXT,                 -- body hash the ingest stage last processed
        doc_id         TEXT,                  -- the document this page became, if any
        error          TEXT                   -- why ingest rejected this page, if it did
    );
    CREATE INDEX pages_source ON pages(source);

    CREATE TABLE documents (
        doc_id          TEXT PRIMARY KEY,     -- stable: from the canonical URL
        url             TEXT NOT NULL,        -- canonical URL
        title           TEXT NOT NULL,
        text            TEXT NOT NULL,
        language        TEXT NOT NULL,
        kind            TEXT NOT NULL,
        published       TEXT,                 -- ISO date
        site_name       TEXT,
        source          TEXT,
        county_code     TEXT,                 -- the source's county (hint)
        sha256          TEXT NOT NULL,        -- of text
        version         INTEGER NOT NULL DEFAULT 1,
        first_seen      TEXT NOT NULL,
        last_changed    TEXT NOT NULL,
        removed_at      TEXT,
        indexed_sha256  TEXT                  -- text hash the search index holds; NULL = not indexed
    );
    CREATE INDEX documents_sha ON documents(sha256);
    CREATE INDEX documents_published ON documents(published);

    CREATE TABLE document_urls (
        url     TEXT PRIMARY KEY,
        doc_id  TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE
    );
    CREATE INDEX document_urls_doc ON document_urls(doc_id);

    CREATE TABLE document_versions (
        doc_id     TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        title      TEXT NOT NULL,
        text       TEXT NOT NULL,
        sha256     TEXT NOT NULL,
        published  TEXT,
        created_at TEXT NOT NULL,
        PRIMARY KEY (doc_id, version)
    );

    CREATE TABLE ingest_errors (
        input      TEXT PRIMARY KEY,          -- path or URL
        reason     TEXT NOT NULL,
        at         TEXT NOT NULL
    );

    CREATE TABLE extractions (
        doc_id           TEXT PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
        pipeline_version TEXT NOT NULL,
        sha256           TEXT NOT NULL,       -- document text hash it was computed from
        data             TEXT NOT NULL,       -- Extraction.to_json()
        extracted_at     TEXT NOT NULL
    );

    -- Filterable values per document, derived from extractions (and documents for county):
    -- facet in ('county', 'organisation', 'person', 'party', 'focus_area', 'target_group').
    -- 'norm' is the value case- and diacritics-folded for lookups.
    CREATE TABLE doc_facets (
        doc_id  TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        facet   TEXT NOT NULL,
        value   TEXT NOT NULL,
        norm    TEXT NOT NULL,
        PRIMARY KEY (doc_id, facet, value)
    );
    CREATE INDEX doc_facets_lookup ON doc_facets(facet, norm);

    CREATE TABLE chunks (
        vec_id    INTEGER PRIMARY KEY AUTOINCREMENT,  -- the FAISS id and the FTS rowid
        chunk_id  TEXT NOT NULL UNIQUE,
        doc_id    TEXT NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        ordinal   INTEGER NOT NULL,
        text      TEXT NOT NULL,              -- as embedded (title prefixed)
        norm      TEXT NOT NULL               -- Swedish-normalised tokens for FTS
    );
    CREATE INDEX chunks_doc ON chunks(doc_id);
    CREATE VIRTUAL TABLE chunks_fts USING fts5(
        norm, content='chunks', content_rowid='vec_id', tokenize='unicode61 remove_diacritics 0'
    );

    CREATE TABLE runs (
        run_id      TEXT PRIMARY KEY,
        command     TEXT NOT NULL,            -- 'nightly', 'crawl', 'index'
        started_at  TEXT NOT NULL,
        finished_at TEXT,
        ok          INTEGER,
        report      TEXT                      -- JSON
    );

    CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    """,
    # 2: vectors embedded by an index run that has not published yet, so a killed run keeps
    # its work: the next run takes them from here instead of embedding them again.
    """
    CREATE TABLE embedding_cache (
        text_sha256 TEXT NOT NULL,            -- of the chunk text as embedded
        model       TEXT NOT NULL,            -- vectors of different models never mix
        vector      BLOB NOT NULL,            -- float32, the model's dimension
        PRIMARY KEY (text_sha256, model)
    ) WITHOUT ROWID;
    """,
    # 3: what was text in ``error`` and a dropped field become columns. ``listing``: a page
    # the crawler follows but that is no document (was ``error`` = "listing page: …").
    # ``requested_url``: the address asked for when a redirect led to ``url`` (the
    # document then answers to both).
    """
    ALTER TABLE pages ADD COLUMN listing INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pages ADD COLUMN requested_url TEXT;
    UPDATE pages SET listing = 1, error = NULL
        WHERE doc_id IS NULL AND error = 'listing page: followed by the crawler, not a document';
    """,
    # 4: the keyword index left SQLite: it is written with each index generation
    # (search/keyword.py), so FTS5 is no longer kept in step with every chunk write.
    """
    DROP TABLE IF EXISTS chunks_fts;
    """,
]

#: The same migrations in PostgreSQL's dialect: migration *n* here matches *n* above (a test
#: holds the two lists to the same length and the same tables and columns). The version
#: lives in the ``schema_version`` table (regionsok.store.postgres). Differences:
#: every text column collates "C", so ``ORDER BY`` sorts by code point as SQLite's BINARY
#: does whatever locale the database was created with; BLOB is BYTEA; ``vec_id`` is an
#: identity whose counter a trigger moves past every explicitly inserted id, as SQLite's
#: AUTOINCREMENT does (an id is never reused, even after the top chunks are deleted); the
#: FTS5 keyword table has no counterpart (the keyword side is not kept in PostgreSQL).
PG_MIGRATIONS: list[str] = [
    # 1
    """
    CREATE TABLE pages (
        url            TEXT COLLATE "C" PRIMARY KEY,
        final_url      TEXT COLLATE "C",
        source         TEXT COLLATE "C",
        county_code    TEXT COLLATE "C",
        kind_hint      TEXT COLLATE "C",
        status         INTEGER NOT NULL,
        etag           TEXT COLLATE "C",
        last_modified  TEXT COLLATE "C",
        content_type   TEXT COLLATE "C",
        sha256         TEXT COLLATE "C",
        body           BYTEA,
        title_hint     TEXT COLLATE "C",
        published_hint TEXT COLLATE "C",
        fetched_at     TEXT COLLATE "C" NOT NULL,
        checked_at     TEXT COLLATE "C" NOT NULL,
        removed_at     TEXT COLLATE "C",
        ingested_sha256 TEXT COLLATE "C",
        doc_id         TEXT COLLATE "C",
        error          TEXT COLLATE "C"
    );
    CREATE INDEX pages_source ON pages(source);

    CREATE TABLE documents (
        doc_id          TEXT COLLATE "C" PRIMARY KEY,
        url             TEXT COLLATE "C" NOT NULL,
        title           TEXT COLLATE "C" NOT NULL,
        text            TEXT COLLATE "C" NOT NULL,
        language        TEXT COLLATE "C" NOT NULL,
        kind            TEXT COLLATE "C" NOT NULL,
        published       TEXT COLLATE "C",
        site_name       TEXT COLLATE "C",
        source          TEXT COLLATE "C",
        county_code     TEXT COLLATE "C",
        sha256          TEXT COLLATE "C" NOT NULL,
        version         INTEGER NOT NULL DEFAULT 1,
        first_seen      TEXT COLLATE "C" NOT NULL,
        last_changed    TEXT COLLATE "C" NOT NULL,
        removed_at      TEXT COLLATE "C",
        indexed_sha256  TEXT COLLATE "C"
    );
    CREATE INDEX documents_sha ON documents(sha256);
    CREATE INDEX documents_published ON documents(published);

    CREATE TABLE document_urls (
        url     TEXT COLLATE "C" PRIMARY KEY,
        doc_id  TEXT COLLATE "C" NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE
    );
    CREATE INDEX document_urls_doc ON document_urls(doc_id);

    CREATE TABLE document_versions (
        doc_id     TEXT COLLATE "C" NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        version    INTEGER NOT NULL,
        title      TEXT COLLATE "C" NOT NULL,
        text       TEXT COLLATE "C" NOT NULL,
        sha256     TEXT COLLATE "C" NOT NULL,
        published  TEXT COLLATE "C",
        created_at TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (doc_id, version)
    );

    CREATE TABLE ingest_errors (
        input      TEXT COLLATE "C" PRIMARY KEY,
        reason     TEXT COLLATE "C" NOT NULL,
        at         TEXT COLLATE "C" NOT NULL
    );

    CREATE TABLE extractions (
        doc_id           TEXT COLLATE "C" PRIMARY KEY REFERENCES documents(doc_id) ON DELETE CASCADE,
        pipeline_version TEXT COLLATE "C" NOT NULL,
        sha256           TEXT COLLATE "C" NOT NULL,
        data             TEXT COLLATE "C" NOT NULL,
        extracted_at     TEXT COLLATE "C" NOT NULL
    );

    CREATE TABLE doc_facets (
        doc_id  TEXT COLLATE "C" NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        facet   TEXT COLLATE "C" NOT NULL,
        value   TEXT COLLATE "C" NOT NULL,
        norm    TEXT COLLATE "C" NOT NULL,
        PRIMARY KEY (doc_id, facet, value)
    );
    CREATE INDEX doc_facets_lookup ON doc_facets(facet, norm);

    CREATE TABLE chunks (
        vec_id    BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
        chunk_id  TEXT COLLATE "C" NOT NULL UNIQUE,
        doc_id    TEXT COLLATE "C" NOT NULL REFERENCES documents(doc_id) ON DELETE CASCADE,
        ordinal   INTEGER NOT NULL,
        text      TEXT COLLATE "C" NOT NULL,
        norm      TEXT COLLATE "C" NOT NULL
    );
    CREATE INDEX chunks_doc ON chunks(doc_id);
    CREATE FUNCTION chunks_vec_id_high_water() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        -- setval is not rolled back with the transaction: a counter moved by a rolled-back
        -- insert stays moved, which only skips ids (never reuses one).
        PERFORM setval(pg_get_serial_sequence('chunks', 'vec_id'), NEW.vec_id)
            FROM chunks_vec_id_seq
            WHERE NEW.vec_id > CASE WHEN is_called THEN last_value ELSE 0 END;
        RETURN NEW;
    END
    $$;
    CREATE TRIGGER chunks_vec_id_high_water AFTER INSERT ON chunks
        FOR EACH ROW EXECUTE FUNCTION chunks_vec_id_high_water();

    CREATE TABLE runs (
        run_id      TEXT COLLATE "C" PRIMARY KEY,
        command     TEXT COLLATE "C" NOT NULL,
        started_at  TEXT COLLATE "C" NOT NULL,
        finished_at TEXT COLLATE "C",
        ok          INTEGER,
        report      TEXT COLLATE "C"
    );

    CREATE TABLE meta (
        key   TEXT COLLATE "C" PRIMARY KEY,
        value TEXT COLLATE "C" NOT NULL
    );
    """,
    # 2
    """
    CREATE TABLE embedding_cache (
        text_sha256 TEXT COLLATE "C" NOT NULL,
        model       TEXT COLLATE "C" NOT NULL,
        vector      BYTEA NOT NULL,
        PRIMARY KEY (text_sha256, model)
    );
    """,
    # 3
    """
    ALTER TABLE pages ADD COLUMN listing INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE pages ADD COLUMN requested_url TEXT COLLATE "C";
    UPDATE pages SET listing = 1, error = NULL
        WHERE doc_id IS NULL AND error = 'listing page: followed by the crawler, not a document';
    """,
    # 4: SQLite drops its FTS5 table (the keyword index lives in the index generation);
    # PostgreSQL never had one, so its step 4 only says where the keyword terms are used.
    """
    COMMENT ON COLUMN chunks.norm IS 'keyword terms; the keyword index is built from them into each index generation';
    """,
]
