"""Incremental indexing: chunk, embed and index new or changed documents; drop removed ones.

Crash safety is the design constraint (a nightly job can be killed at any point):

1. Work out what changed: documents whose ``sha256`` differs from ``indexed_sha256``, and
   removed documents that still have chunks.
2. Load the current vector-index generation, apply the changes *in memory*: delete the
   vectors of removed/changed chunks, embed and add the new chunks (unchanged chunks keep
   their vectors: chunk ids are content hashes).
3. Write the whole index as a new generation directory ``gen-NNNNNN`` (temporary name,
   fsync, rename): the vectors, and the keyword index (``search.keyword``: the previous
   generation's segments hard-linked, one new segment for the new chunks, dead-row masks
   for removed ones). Then swap the pointer file ``CURRENT`` with ``os.replace``: a reader
   sees either the old generation or the new one, never a half-written file.
4. Only then, in one SQLite transaction, write the chunk rows and ``documents.indexed_sha256``.

A SIGKILL before (4) leaves the hashes unchanged, so the next run redoes the same work.
Every run also reconciles the loaded index with the ``chunks`` table (vectors with no
chunk row are deleted, chunk rows with no vector are embedded), which repairs whatever a
kill between (3) and (4) left behind. Old generations are garbage-collected, keeping the
previous one for readers that are still loading it.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ingest.pipeline import extract_pending
from regionsok.errors import IndexError_
from regionsok.faults import fault_point
from regionsok.locks import exclusive_lock
from regionsok.records import sha256_hex
from regionsok.settings import Settings
from regionsok.store import Store
from regionsok.store.chunks import NewChunk
from search.chunking import chunk_document
from search.hybrid import concept_expressions, concept_rankings
from search.keyword import KeywordIndex, write_keyword_index
from search.normalize import NORMALIZER_VERSION, normalize
from search.vector import VectorIndex, load_index, new_index

logger = logging.getLogger(__name__)

CURRENT_FILE = "CURRENT"
GENERATION_FILE = "generation.json"
_GEN_DIR = re.compile(r"^gen-(\d{6,})$")
_NORMALIZER_META = "search.normalizer_version"
_VERSION_META = "search.index_version"
_KEEP_GENERATIONS = 2

#: ``progress(stage, done, total)``; stages: "plan", "embed", "write", "swap", "commit".
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class IndexReport:
    """What one `regionsok index` run did."""

    documents_indexed: int
    documents_removed: int
    chunks_embedded: int  # embedded by this run
    chunks_removed: int
    index_version: int
    vectors: int = 0
    index_kind: str = "flat"
    seconds: float = 0.0
    chunks_reused: int = 0  # embedded by an earlier run that was killed before it published
    keyword_rows: int = 0  # chunks in the keyword index
    keyword_added: int = 0  # rows this run wrote (all of them when it rebuilt)
    keyword_rebuilt: bool = False  # one new segment instead of the previous ones plus a new one

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Generation:
    """One published index generation: its number, directory and what built it."""

    version: int
    path: Path
    model: str
    dim: int


# -- generations on disk ------------------------------------------------------------------


def current_generation(index_dir: Path) -> Generation | None:
    """The generation ``CURRENT`` points at, or None when nothing was published yet."""
    pointer = index_dir / CURRENT_FILE
    try:
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except OSError as err:
        raise IndexError_(f"cannot read {pointer}: {err}") from err
    path = index_dir / name
    try:
        meta = json.loads((path / GENERATION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise IndexError_(f"{pointer} points at {name}, which cannot be read: {err}") from err
    return Generation(version=int(meta["version"]), path=path, model=str(meta["model"]), dim=int(meta["dim"]))


def pointer_signature(index_dir: Path) -> tuple[int, int] | None:
    """(inode, mtime) of ``CURRENT``: changes exactly when a new generation is swapped in."""
    try:
        st = os.stat(index_dir / CURRENT_FILE)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for child in path.iterdir():
        if child.is_dir():
            _fsync_tree(child)
            continue
        with open(child, "rb") as fh:
            os.fsync(fh.fileno())
    _fsync_dir(path)


def publish_generation(index_dir: Path, index: VectorIndex, version: int, model: str,
                       progress: Progress | None = None,
                       write_more: Callable[[Path], None] | None = None) -> Generation:
    """Write ``index`` as generation ``version`` and atomically make it current.

    ``write_more(staging)`` adds the generation's other files (the keyword index) before it
    is made durable and renamed into place.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    name = f"gen-{version:06d}"
    staging = index_dir / f".{name}.tmp-{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    index.save(staging)
    if write_more is not None:
        write_more(staging)
    meta = {"version": version, "model": model, "dim": index.dim, "vectors": len(index), "kind": index.kind,
            "normalizer": NORMALIZER_VERSION, "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    (staging / GENERATION_FILE).write_text(json.dumps(meta), encoding="utf-8")
    _fsync_tree(staging)
    final = index_dir / name
    if final.exists():  # left by a run killed after its rename but before its swap
        shutil.rmtree(final)
    os.rename(staging, final)
    _fsync_dir(index_dir)
    if progress:
        progress("write", 1, 1)
    fault_point("index.write")
    tmp_pointer = index_dir / f".{CURRENT_FILE}.tmp-{os.getpid()}"
    with open(tmp_pointer, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp_pointer, index_dir / CURRENT_FILE)
    _fsync_dir(index_dir)
    if progress:
        progress("swap", 1, 1)
    fault_point("index.swap")
    return Generation(version=version, path=final, model=model, dim=index.dim)


def collect_garbage(index_dir: Path) -> int:
    """Delete generations older than the previous one, and staging leftovers of dead runs."""
    current = current_generation(index_dir)
    if current is None:
        return 0
    removed = 0
    versions = sorted(int(m.group(1)) for p in index_dir.iterdir() if (m := _GEN_DIR.match(p.name)))
    keep = {v for v in versions if v <= current.version}
    keep = set(sorted(keep)[-_KEEP_GENERATIONS:]) | {v for v in versions if v > current.version}
    for path in index_dir.iterdir():
        match = _GEN_DIR.match(path.name)
        stale_tmp = path.name.startswith(".gen-") or path.name.startswith(f".{CURRENT_FILE}.tmp-")
        if (match and int(match.group(1)) not in keep) or stale_tmp:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
            removed += 1
    return removed


def load_generation(generation: Generation, *, mapped: bool = False) -> VectorIndex:
    """The generation's vector index (``mapped``: read-only, memory-mapped, for searching)."""
    return load_index(generation.path, mapped=mapped)


def index_lock(index_dir: Path, wait_seconds: float = 0.0) -> AbstractContextManager[None]:
    """One writer at a time (a second `regionsok index` fails fast instead of racing)."""
    return exclusive_lock(index_dir / ".lock", f"another process is updating the index in {index_dir}",
                          wait_seconds=wait_seconds)


# -- the update -------------------------------------------------------------------------------


@dataclass(slots=True)
class _DocumentPlan:
    doc_id: str
    sha256: str | None  # None: the document was removed
    keep: list[str]
    new: list[NewChunk]
    removed_vec_ids: list[int]


def update_index(
    store: Store, settings: Settings, progress: Progress | None = None, embedder: Any = None
) -> IndexReport:
    """Bring the index up to date with the store's documents (see the module docstring).

    ``embedder`` defaults to the configured model, loaded only when something needs embedding
    (a run with nothing to do takes well under a second); anything with ``name``, ``dim`` and
    ``encode_documents`` works.
    """
    started = time.monotonic()
    if embedder is None and settings.embed_queue:
        from search.distributed import QueueEmbedder

        embedder = QueueEmbedder(settings)  # the embed workers load the model, not this process
    elif embedder is None:
        embedder = _LazyEmbedder(settings)
    index_dir = settings.index_dir
    with index_lock(index_dir):
        # Extraction is part of storing a document; a run that was killed before it (or a
        # new pipeline version) left documents waiting, and none is indexed without it.
        extracted = extract_pending(store)
        if extracted:
            logger.info("extracted pending documents before indexing", extra={"documents": extracted})
        if store.get_meta(_NORMALIZER_META) != NORMALIZER_VERSION:
            with store.transaction():
                count = store.renormalize_chunks(normalize)
            store.set_meta(_NORMALIZER_META, NORMALIZER_VERSION)
            logger.info("keyword index renormalised", extra={"chunks": count})

        current = current_generation(index_dir)
        # Same model name means same vectors (``dim`` is not asked: it would load the model).
        if current is not None and current.model != embedder.name:
            logger.info("embedding model changed: re-embedding every chunk",
                        extra={"old": current.model, "new": embedder.name})
            current = None
        index = load_generation(current) if current else new_index(embedder.dim, exact_max=settings.exact_index_max)
        index.exact_max = settings.exact_index_max
        fault_point("index.load")

        plans = _plan(store, index)
        if progress:
            progress("plan", len(plans), len(plans))

        # Reconcile with the chunks table: repairs a run killed between swap and commit.
        in_index = index.ids()
        in_store = store.all_vec_ids()
        dropping = np.array([v for p in plans for v in p.removed_vec_ids], dtype=np.int64)
        orphans = np.setdiff1d(in_index, in_store)
        missing = np.setdiff1d(np.setdiff1d(in_store, in_index), dropping)
        chunks_removed = index.delete(np.union1d(orphans, dropping))

        to_embed: list[tuple[int, str]] = store.chunk_texts(missing.tolist())
        to_embed += [(c.vec_id, c.chunk.text) for p in plans for c in p.new]
        if to_embed:
            logger.info("embedding chunks", extra={"chunks": len(to_embed), "documents": len(plans)})
        chunks_embedded = 0
        if settings.embed_queue and to_embed:
            from search.distributed import embed_on_workers

            # The workers put the vectors into the store's cache; _embed_into adds them from there.
            chunks_embedded = embed_on_workers(store, settings, embedder.name, to_embed, progress)
        chunks_embedded += _embed_into(index, embedder, to_embed, settings.embedding_batch_size * 8, progress, store,
                                       fresh=chunks_embedded)

        expressions = concept_expressions()
        previous_keyword = KeywordIndex.load(current.path) if current else None
        keyword_current = previous_keyword is not None and previous_keyword.built_with(NORMALIZER_VERSION, expressions)
        keyword_report = None
        if not plans and current is not None and not orphans.size and not missing.size and keyword_current:
            report_version = current.version
        else:
            report_version = max(current.version if current else 0, _max_version(index_dir)) + 1
            new_norms = {c.vec_id: c.norm for p in plans for c in p.new}

            def norms(vec_ids: list[int]) -> dict[int, str]:
                found = {v: new_norms[v] for v in vec_ids if v in new_norms}
                found.update(store.chunk_norms([v for v in vec_ids if v not in new_norms]))
                return found

            def write_keyword(staging: Path) -> None:
                nonlocal keyword_report
                keyword_report = write_keyword_index(
                    staging, previous_keyword, index.ids(), norms, expressions, NORMALIZER_VERSION,
                    f"seg-{report_version:06d}", concept_rankings())
                logger.info("keyword index written", extra={"rows": keyword_report.rows, "added": keyword_report.added,
                                                            "segments": keyword_report.segments,
                                                            "rebuilt": keyword_report.rebuilt})

            publish_generation(index_dir, index, report_version, embedder.name, progress, write_keyword)
            with store.transaction():
                for plan in plans:
                    store.replace_document_chunks(plan.doc_id, plan.keep, plan.new)
                    store.set_indexed_sha256(plan.doc_id, plan.sha256)
                store.set_meta(_VERSION_META, str(report_version))
            store.clear_vector_cache()  # every kept vector is in the published generation now
            if progress:
                progress("commit", 1, 1)
            collect_garbage(index_dir)

    report = IndexReport(
        documents_indexed=sum(1 for p in plans if p.sha256 is not None),
        documents_removed=sum(1 for p in plans if p.sha256 is None),
        chunks_embedded=chunks_embedded,
        chunks_reused=len(to_embed) - chunks_embedded,
        chunks_removed=int(chunks_removed),
        index_version=report_version,
        vectors=len(index),
        index_kind=index.kind,
        seconds=round(time.monotonic() - started, 3),
        keyword_rows=keyword_report.rows if keyword_report else (len(previous_keyword) if previous_keyword else 0),
        keyword_added=keyword_report.added if keyword_report else 0,
        keyword_rebuilt=keyword_report.rebuilt if keyword_report else False,
    )
    logger.info("index updated", extra=report.to_json())
    return report


class _LazyEmbedder:
    """The configured embedder, loaded on first use: a no-op update never loads the model."""

    def __init__(self, settings: Settings) -> None:
        from search.embedding import resolve_model_source

        self._settings = settings
        self._loaded: Any = None
        self.name = resolve_model_source(settings)[0]

    def _get(self) -> Any:
        if self._loaded is None:
            from search.embedding import load_embedder

            self._loaded = load_embedder(self._settings)
        return self._loaded

    @property
    def dim(self) -> int:
        return int(self._get().dim)

    def encode_documents(self, texts: list[str]) -> np.ndarray:
        return self._get().encode_documents(texts)


def _max_version(index_dir: Path) -> int:
    if not index_dir.is_dir():
        return 0
    versions = [int(m.group(1)) for p in index_dir.iterdir() if (m := _GEN_DIR.match(p.name))]
    return max(versions, default=0)


def _plan(store: Store, index: VectorIndex) -> list[_DocumentPlan]:
    """Chunk every changed document; decide which chunks to keep, add and drop."""
    # Never hand out an id the index has seen, even one a killed run added but never committed.
    next_id = max(store.next_vec_id(), index.max_id() + 1)
    plans: list[_DocumentPlan] = []
    for row in store.documents_to_index():
        existing = store.chunk_ids_for_document(row.doc_id)
        keep: list[str] = []
        new: list[NewChunk] = []
        for chunk in chunk_document(row.doc_id, row.title, row.text):
            if chunk.chunk_id in existing:
                keep.append(chunk.chunk_id)
                continue
            new.append(NewChunk(next_id, chunk, normalize(chunk.text)))
            next_id += 1
        kept = set(keep)
        removed = [v for cid, v in existing.items() if cid not in kept]
        plans.append(_DocumentPlan(row.doc_id, row.sha256, keep, new, removed))
    for doc_id in store.documents_to_unindex():
        existing = store.chunk_ids_for_document(doc_id)
        plans.append(_DocumentPlan(doc_id, None, [], [], list(existing.values())))
    return plans


def _embed_into(index: VectorIndex, embedder: Any, items: list[tuple[int, str]], batch: int,
                progress: Progress | None, store: Store, fresh: int = 0) -> int:
    """Embed ``(vec_id, text)`` pairs in batches and add them to the index; returns how many
    were embedded now.

    Each batch's vectors are committed to the store's embedding cache as soon as they are
    computed, and texts found there are not embedded again: a run killed an hour into a first
    full index keeps that hour, and the rerun embeds only the rest. The cache is emptied once
    the generation holding the vectors is published and committed. ``fresh``: how many of the
    cached vectors embed workers wrote for this run (search.distributed), not an earlier run.
    """
    total = len(items)
    hashes = [sha256_hex(text) for _, text in items]
    cached = store.cached_vectors(embedder.name, hashes) if items else {}
    done = embedded = 0
    ready = [(vec_id, cached[h]) for (vec_id, _), h in zip(items, hashes, strict=True) if h in cached]
    if ready:
        index.add(np.array([v for v, _ in ready], dtype=np.int64),
                  np.vstack([np.frombuffer(blob, dtype=np.float32) for _, blob in ready]))
        done = len(ready)
        if done > fresh:
            logger.info("reusing vectors embedded by an earlier, unfinished run", extra={"chunks": done - fresh})
        if progress:
            progress("embed", done, total)
    missing = [(item, h) for item, h in zip(items, hashes, strict=True) if h not in cached]
    for start in range(0, len(missing), batch):
        part = missing[start:start + batch]
        vectors = np.ascontiguousarray(embedder.encode_documents([text for (_, text), _ in part]), dtype=np.float32)
        store.cache_vectors(embedder.name, [(h, vector.tobytes()) for (_, h), vector in zip(part, vectors, strict=True)])
        index.add(np.array([vec_id for (vec_id, _), _ in part], dtype=np.int64), vectors)
        fault_point("index.embed")
        embedded += len(part)
        done += len(part)
        if progress:
            progress("embed", done, total)
    return embedded
