"""Vector indexes behind one small interface (``base.VectorIndex``); FAISS is the backend.

Callers create and read indexes through :func:`new_index` and :func:`load_index` and use
only the interface, so the backend is chosen here, in one place.
"""

from pathlib import Path

from search.vector.base import VectorIndex, VectorMatches
from search.vector.faiss_index import FaissIndex


def new_index(dim: int, *, exact_max: int) -> VectorIndex:
    """An empty index for ``dim``-long vectors: exact up to ``exact_max`` vectors, approximate above."""
    return FaissIndex(dim, exact_max=exact_max)


def load_index(directory: Path, *, mapped: bool = False) -> VectorIndex:
    """The index saved in ``directory`` (``VectorIndex.save``); IndexError_ when missing or corrupt.

    ``mapped``: memory-map the vectors read-only instead of reading them (for searching: the
    pages are the file's, shared by every process that maps it, and the index cannot change).
    """
    return FaissIndex.load(directory, mapped=mapped)


__all__ = ["FaissIndex", "VectorIndex", "VectorMatches", "load_index", "new_index"]
