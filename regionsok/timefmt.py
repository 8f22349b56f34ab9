"""Timestamps as the store, the crawler and the run reports write them.

ISO-8601 UTC strings with second precision (``2024-10-01T08:00:00Z``). A leaf module:
it imports nothing from Regionsök, so any layer can use it without an import cycle.
"""

from __future__ import annotations

from datetime import UTC, datetime

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utcnow() -> str:
    """Now, as a timestamp string."""
    return datetime.now(UTC).strftime(TIMESTAMP_FORMAT)


def parse_timestamp(value: str) -> datetime:
    """A timestamp string back as an aware UTC datetime."""
    return datetime.strptime(value, TIMESTAMP_FORMAT).replace(tzinfo=UTC)


__all__ = ["TIMESTAMP_FORMAT", "parse_timestamp", "utcnow"]
