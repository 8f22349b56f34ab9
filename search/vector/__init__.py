"""Vector indexes behind one small interface (``base.VectorIndex``); FAISS is the backend."""

from search.vector.base import VectorIndex, VectorMatches
from search.vector.faiss_index import FaissIndex

__all__ = ["VectorIndex", "VectorMatches", "FaissIndex"]
