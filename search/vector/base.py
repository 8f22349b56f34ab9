"""The vector index interface: add / delete / search / save / load.

Search code depends on this, not on FAISS, so another backend (or a future GPU index) is
one new file. Ids are the store's ``chunks.vec_id`` (int64, never reused); vectors are
float32 and L2-normalised, so inner product is cosine similarity.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True, slots=True)
class VectorMatches:
    """The nearest ids to one query, best first, with their inner-product scores."""

    ids: np.ndarray  # int64
    scores: np.ndarray  # float32


class VectorIndex(ABC):
    """A set of (id, vector) pairs searchable by inner product."""

    dim: int
    #: Up to this many vectors the index is exact; above it, approximate (settable: a loaded
    #: index takes the current setting, and switches when an update crosses it).
    exact_max: int

    @property
    @abstractmethod
    def kind(self) -> str:
        """How the index searches ("flat": exact; "hnsw": approximate), for reports and logs."""

    @abstractmethod
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must be new)."""

    @abstractmethod
    def delete(self, ids: np.ndarray) -> int:
        """Remove ids (unknown ids are ignored); returns how many were removed."""

    @abstractmethod
    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> VectorMatches:
        """The ``k`` best ids for one query vector; with ``allowed``, only among those ids.

        Filtering happens inside the search (not on its results), so a filtered query still
        gets its best ``k`` among the allowed ids.
        """

    def sample(self, count: int) -> np.ndarray:
        """Up to ``count`` stored vectors spread over the index: the corpus' typical chunk."""
        raise NotImplementedError

    @abstractmethod
    def ids(self) -> np.ndarray:
        """Every live id in the index (int64)."""

    @abstractmethod
    def max_id(self) -> int:
        """The largest id ever added and still stored (deleted but not yet purged ones included), or -1."""

    @abstractmethod
    def save(self, directory: Path) -> None:
        """Write the index into ``directory`` (which the caller then publishes atomically)."""

    @classmethod
    @abstractmethod
    def load(cls, directory: Path, *, mapped: bool = False) -> VectorIndex:
        """Read an index written by :meth:`save` (``mapped``: memory-mapped and read-only)."""

    def __len__(self) -> int:
        return int(self.ids().shape[0])
