"""Swedish NLP: people with party and role, counties, organisations, dates, amounts, concepts.

Entry points (the contract other stages call):

- :func:`extract_text` — one text → ``Extraction``;
- :func:`extract_many` — many texts → ``Extraction`` each, in order, through ``nlp.pipe`` batches;
- :func:`update_extractions` — (re)compute the store's documents whose text or
  :data:`PIPELINE_VERSION` changed, saving the extraction and its search facets;
- :data:`PIPELINE_VERSION` — :data:`EXTRACTION_VERSION` (bumped by hand) plus a hash of the data files.

The gazetteers (:mod:`ingest.nlp.gazetteer`) and the taxonomy (:mod:`ingest.nlp.taxonomy`) are
importable without loading spaCy.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regionsok.records import Extraction

if TYPE_CHECKING:
    from regionsok.store import Store

logger = logging.getLogger(__name__)

#: Bump when a change to the extraction code changes what it extracts (not for comments or
#: refactors): every stored document is then re-extracted. The data files are hashed below.
EXTRACTION_VERSION = "3"
BATCH_SIZE = 32  # documents per nlp.pipe batch
PAGE_SIZE = 500  # documents read from the store at a time by update_extractions


DATA_DIR = Path(__file__).resolve().parent.parent / "data"


def _pipeline_version(data: Path = DATA_DIR) -> str:
    """The extraction version plus a digest of the data files it reads (ingest/data/**)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in data.rglob("*") if p.is_file()):
        digest.update(path.relative_to(data).as_posix().encode())
        digest.update(path.read_bytes())
    return f"{EXTRACTION_VERSION}+{digest.hexdigest()[:10]}"


PIPELINE_VERSION: str = _pipeline_version()

@dataclass(frozen=True, slots=True)
class NlpInput:
    """One text for the NLP with what its source says of it."""

    text: str
    title: str | None = None
    county_hint: str | None = None  # the source's county code ("05"); anything else is ignored
    kind_hint: str | None = None  # the source's kind: press_release | agreement | mixed


def extract_text(
    text: str, *, title: str | None = None, county_hint: str | None = None, kind_hint: str | None = None
) -> Extraction:
    """What the Swedish pipeline finds in one text (an empty text gives an empty extraction)."""
    return next(extract_many([NlpInput(text, title=title, county_hint=county_hint, kind_hint=kind_hint)]))


def extract_many(items: Iterable[str | NlpInput], *, batch_size: int = BATCH_SIZE) -> Iterator[Extraction]:
    """One ``Extraction`` per item (a bare text or an :class:`NlpInput`), in input order,
    computed in ``nlp.pipe`` batches."""
    from ingest.nlp.pipeline import load_nlp, prepare_doc, to_extraction

    nlp = load_nlp()

    def docs() -> Iterator[Any]:
        for item in items:
            one = NlpInput(item) if isinstance(item, str) else item
            yield prepare_doc(nlp, one.text or "", title=one.title, county_hint=one.county_hint,
                              kind_hint=one.kind_hint)

    for doc in nlp.pipe(docs(), batch_size=batch_size):
        yield to_extraction(doc, PIPELINE_VERSION)


def update_extractions(store: Store, *, progress: Callable[[int], None] | None = None) -> int:
    """Extract every live document whose text or the pipeline version changed; returns how many.

    Each extraction is saved with its facets (county, organisation, person, party, focus area,
    target group) in one transaction per document, so an interrupted run loses nothing done.
    Documents are read from the store a page at a time, so memory stays flat on a big store.
    """
    done = 0
    seen: set[tuple[str, str]] = set()
    while True:
        rows = [
            row for row in store.documents_needing_extraction(PIPELINE_VERSION, limit=PAGE_SIZE)
            if (row.doc_id, row.sha256) not in seen
        ]
        if not rows:
            break
        items = [NlpInput(row.text, title=row.title, county_hint=row.county_code, kind_hint=row.kind) for row in rows]
        for row, extraction in zip(rows, extract_many(items), strict=True):
            store.save_extraction(row.doc_id, row.sha256, extraction)
            seen.add((row.doc_id, row.sha256))
            done += 1
            if progress is not None:
                progress(1)
    if done:
        logger.info("extracted %d documents with pipeline %s", done, PIPELINE_VERSION)
    return done


__all__ = ["PIPELINE_VERSION", "NlpInput", "extract_many", "extract_text", "update_extractions"]
