"""The crawl report: per source, what the crawl saw and what it changed in the store."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

COUNTERS = ("fetched", "not_modified", "new", "changed", "unchanged", "listings", "removed", "failed")


@dataclass(slots=True)
class SourceReport:
    """One source's summary.

    ``fetched`` counts 200 answers, ``not_modified`` 304 answers; of the fetched documents,
    ``new`` / ``changed`` / ``unchanged`` say what the store made of them (``unchanged``: same
    body hash); ``listings`` are followed pages that are not documents; ``removed`` pages
    answered 404/410 and were marked removed; ``failed`` URLs could not be fetched.
    ``error`` is set when the source as a whole could not be crawled.
    """

    name: str
    fetched: int = 0
    not_modified: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    listings: int = 0
    removed: int = 0
    failed: int = 0
    dropped: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """False when the source failed as a whole: an error, or nothing answered but failures."""
        if self.error:
            return False
        return not (self.failed and self.fetched + self.not_modified == 0)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceReport:
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass(slots=True)
class CrawlReport:
    """Every crawled source's summary; ``ok`` unless every source failed."""

    sources: list[SourceReport] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def all_failed(self) -> bool:
        return bool(self.sources) and not any(s.ok for s in self.sources)

    def total(self, counter: str) -> int:
        return sum(int(getattr(s, counter)) for s in self.sources)

    def totals(self) -> dict[str, int]:
        return {c: self.total(c) for c in COUNTERS}

    def to_json(self) -> dict[str, Any]:
        return {
            "sources": [s.to_json() for s in self.sources],
            "totals": self.totals(),
            "all_failed": self.all_failed,
            "seconds": self.seconds,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CrawlReport:
        return cls(sources=[SourceReport.from_json(s) for s in data.get("sources", [])],
                   seconds=float(data.get("seconds", 0.0)))
