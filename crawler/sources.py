"""Crawl sources are data: load and validate a ``sources.toml`` file.

Each ``[[source]]`` table is one press room or agreement site (see the header of the shipped
``crawler/sources.toml`` for the keys). An optional ``[crawl]`` table tunes politeness for the
whole file — the demo and the tests use it to crawl a loopback site without the production
delays. Every problem is reported as a :class:`~regionsok.errors.ConfigError` naming the
source and the key, because a typo in a regex should stop a run before any request is made.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from crawler.platforms import PLATFORMS, platform_defaults
from regionsok.errors import ConfigError
from regionsok.records import COUNTY_CODES

SourceKind = Literal["press_release", "agreement", "mixed"]
SOURCE_KINDS: tuple[str, ...] = ("press_release", "agreement", "mixed")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,80}$")

_SOURCE_KEYS = {
    "name", "org", "county", "kind", "platform", "newsroom", "start_urls", "allowed_domains",
    "sitemap_urls", "allow", "deny", "max_depth", "max_pages", "verified", "enabled", "note",
    "observed", "items", "checked",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class CrawlPolicy:
    """Politeness and safety limits for one run (production defaults; ``[crawl]`` overrides).

    Defaults are for other people's servers: one request at a time per domain, at least one
    second apart, AutoThrottle slowing down further when the server is slow.
    """

    download_delay: float = 1.0
    autothrottle_start_delay: float = 2.0
    autothrottle_max_delay: float = 30.0
    autothrottle_target_concurrency: float = 1.0
    concurrent_requests_per_domain: int = 1
    download_timeout: float = 30.0
    download_maxsize: int = 30 * 1024 * 1024
    retry_times: int = 2
    max_url_length: int = 400
    max_query_params: int = 4
    # How many URLs may share one "shape" (path with digits folded, same query keys): bounds
    # calendars and endless filters while leaving ordinary article slugs alone.
    max_variants_per_pattern: int = 25
    # A stored document is asked for again (conditionally) when a sitemap's <lastmod> says it
    # changed, when a sitemap no longer lists it, or when it was last checked longer ago than
    # about this many days (spread 0.5-1.5x per URL so re-checks do not all fall on one night).
    # Listings and start pages are asked for on every run: they are how new pages are found.
    recheck_days: float = 7.0

    @classmethod
    def from_table(cls, table: dict[str, Any]) -> CrawlPolicy:
        known = set(cls.__dataclass_fields__)
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"[crawl]: unknown key(s) {sorted(unknown)}; known: {sorted(known)}")
        values: dict[str, Any] = {}
        for key, value in table.items():
            expected = type(getattr(cls(), key))
            if expected is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, expected) or isinstance(value, bool) or value < 0:
                raise ConfigError(f"[crawl]: {key} must be a non-negative {expected.__name__}, got {value!r}")
            values[key] = value
        policy = cls(**values)
        if not 1 <= policy.concurrent_requests_per_domain <= 2:
            raise ConfigError("[crawl]: concurrent_requests_per_domain must be 1 or 2 (be polite)")
        return policy


@dataclass(frozen=True, slots=True)
class Source:
    """One crawl source: where to start, what to follow, and what its pages are."""

    name: str
    kind: SourceKind
    start_urls: tuple[str, ...]
    allowed_domains: tuple[str, ...]
    org: str | None = None
    county: str | None = None
    platform: str = "generic"
    newsroom: str | None = None
    sitemap_urls: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    items: tuple[str, ...] = ()  # URL regexes of document pages; empty: the spider's rules
    max_depth: int = 3
    max_pages: int = 500
    verified: bool = False
    enabled: bool = True
    note: str | None = None
    observed: tuple[str, ...] = field(default=(), repr=False)
    checked: str | None = None  # the day `regionsok sources check --write` last checked it


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A loaded sources file: its sources and the run's crawl policy."""

    path: Path
    sources: tuple[Source, ...]
    policy: CrawlPolicy

    def select(self, only: tuple[str, ...] | list[str] = ()) -> list[Source]:
        """The sources to crawl: the named ones (even if disabled), else every enabled one."""
        if not only:
            return [s for s in self.sources if s.enabled]
        by_name = {s.name: s for s in self.sources}
        missing = [n for n in only if n not in by_name]
        if missing:
            raise ConfigError(f"{self.path}: no source named {', '.join(missing)}")
        return [by_name[n] for n in only]


def default_sources_path() -> Path:
    """The shipped ``crawler/sources.toml``."""
    return Path(str(resources.files("crawler") / "sources.toml"))


def load_sources(path: Path | str | None = None) -> SourceFile:
    """Read and validate a sources file (the shipped one when ``path`` is None)."""
    path = Path(path) if path is not None else default_sources_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError(f"sources file not found: {path}") from err
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path}: not valid TOML: {err}") from err
    unknown_top = set(data) - {"source", "crawl"}
    if unknown_top:
        raise ConfigError(f"{path}: unknown top-level key(s) {sorted(unknown_top)}")
    tables = data.get("source", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{path}: no [[source]] tables")
    sources: list[Source] = []
    seen: set[str] = set()
    for index, table in enumerate(tables):
        source = _parse_source(table, where=f"{path}: source #{index + 1}")
        if source.name in seen:
            raise ConfigError(f"{path}: duplicate source name {source.name!r}")
        seen.add(source.name)
        sources.append(source)
    policy = CrawlPolicy.from_table(data.get("crawl", {}))
    return SourceFile(path=path, sources=tuple(sources), policy=policy)


def _parse_source(table: dict[str, Any], where: str) -> Source:
    unknown = set(table) - _SOURCE_KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {sorted(unknown)}")
    name = table.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        raise ConfigError(f"{where}: name must be lowercase letters, digits and '-', got {name!r}")
    where = f"{where} ({name})"
    kind = table.get("kind")
    if kind not in SOURCE_KINDS:
        raise ConfigError(f"{where}: kind must be one of {SOURCE_KINDS}, got {kind!r}")
    county = table.get("county")
    if county is not None and county not in COUNTY_CODES:
        raise ConfigError(f"{where}: county must be a län code as a string ({', '.join(COUNTY_CODES)}), "
                          f"got {county!r}")
    platform = table.get("platform", "generic")
    if platform not in PLATFORMS:
        raise ConfigError(f"{where}: platform must be one of {PLATFORMS}, got {platform!r}")
    newsroom = _opt_str(table, "newsroom", where)
    defaults = platform_defaults(platform, newsroom)
    start_urls = _str_list(table, "start_urls", where) or defaults.start_urls
    if not start_urls:
        raise ConfigError(f"{where}: start_urls is empty (and platform {platform!r} cannot derive them)")
    for url in start_urls:
        _check_url(url, where)
    sitemap_urls = _str_list(table, "sitemap_urls", where)
    for url in sitemap_urls:
        _check_url(url, where)
    allowed = _str_list(table, "allowed_domains", where) or defaults.allowed_domains
    if not allowed:
        allowed = tuple(sorted({_host(u) for u in start_urls}))
    for domain in allowed:
        if "/" in domain or ":" in domain.split(":")[0] or not domain:
            raise ConfigError(f"{where}: allowed_domains entries are host names, got {domain!r}")
    for url in start_urls:
        host = _host(url)
        if not any(host == d or host.endswith("." + d) for d in allowed):
            raise ConfigError(f"{where}: start URL {url} is outside allowed_domains {list(allowed)}")
    allow = _patterns(table, "allow", where)
    deny = _patterns(table, "deny", where)
    return Source(
        name=name,
        kind=kind,
        start_urls=start_urls,
        allowed_domains=allowed,
        org=_opt_str(table, "org", where),
        county=county,
        platform=platform,
        newsroom=newsroom,
        sitemap_urls=sitemap_urls,
        allow=allow or defaults.allow,
        deny=deny + defaults.deny,
        items=_patterns(table, "items", where),
        max_depth=_int(table, "max_depth", where, 3, 0, 20),
        max_pages=_int(table, "max_pages", where, 500, 1, 100_000),
        verified=_bool(table, "verified", where, False),
        enabled=_bool(table, "enabled", where, True),
        note=_opt_str(table, "note", where),
        observed=_str_list(table, "observed", where),
        checked=_opt_str(table, "checked", where),
    )


def _host(url: str) -> str:
    host = urlsplit(url).hostname or ""
    return host.removeprefix("www.")


def _check_url(url: str, where: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where}: not an absolute http(s) URL: {url!r}")


def _opt_str(table: dict[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: {key} must be a string, got {value!r}")
    return value


def _str_list(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, got {value!r}")
    return tuple(value)


def _patterns(table: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    patterns = _str_list(table, key, where)
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as err:
            raise ConfigError(f"{where}: {key} pattern {pattern!r} is not a valid regex: {err}") from err
    return patterns


def _int(table: dict[str, Any], key: str, where: str, default: int, low: int, high: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ConfigError(f"{where}: {key} must be an integer {low}-{high}, got {value!r}")
    return value


def _bool(table: dict[str, Any], key: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: {key} must be true or false, got {value!r}")
    return value
