"""Errors of Regionsök, one hierarchy for every stage.

    RegionsokError
    ├── ConfigError          a setting or input file (sources.toml, taxonomy) is wrong
    ├── StoreError           the SQLite store cannot be opened or migrated
    │   └── LockedError      another run holds the nightly lock
    ├── ModelError           the embedding model is missing or cannot be built
    ├── IndexError_          the vector index is missing or corrupt
    └── QueryError           a search query or filter is invalid (→ HTTP 422)

Third-party errors (Scrapy, pypdf, FAISS, spaCy) are caught at the boundary of the stage
that calls them and re-raised as one of these, or turned into a typed ``Rejected`` record.
"""

from __future__ import annotations


class RegionsokError(Exception):
    """Base of every error Regionsök raises on purpose."""


class ConfigError(RegionsokError):
    """A setting or a data file (sources.toml, a gazetteer, the taxonomy) is invalid."""


class StoreError(RegionsokError):
    """The SQLite store cannot be opened, migrated or written."""


class LockedError(StoreError):
    """Another process holds the lock (e.g. a nightly run is already going)."""


class ModelError(RegionsokError):
    """The embedding model is missing, or cannot be built or loaded."""


class IndexError_(RegionsokError):  # trailing underscore avoids the builtin
    """The vector index is missing or corrupt."""


class QueryError(RegionsokError):
    """A query or filter value is invalid; the message says which and why."""
