"""`regionsok sources check`: is each source in a sources file still where the file says?

An operator's first question before a first full crawl of a list nobody has crawled live.
For each source this fetches, politely (its file's crawl policy: the delay between requests
to one host, the timeout, the crawler's User-Agent), at most a handful of pages:

1. ``robots.txt`` of each start URL's host: a start URL it disallows is reported, not fetched;
2. each start URL, following redirects: a source whose pages now answer from another host
   (a retired pre-region domain that redirects to the region's new one) is reported with
   its new address; 404/410 means gone; a connection error means unreachable;
3. the press-room platform, recognised from the address and the page the same way the
   platform data defines their domains (:data:`crawler.platforms.PLATFORM_URLS`);
4. the links of the start pages that look like articles (the source's ``items`` patterns, else
   its platform's, else its ``allow`` patterns), and a sample of ``SAMPLE_ARTICLES`` of them,
   fetched to see they answer.

Each result carries a suggested fix in words. ``write_results`` records ``verified``,
``checked`` and ``note`` in the file itself, line by line, so its comments and order stay.
"""

from __future__ import annotations

import re
import time
import urllib.error
import urllib.request
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from crawler.platforms import PLATFORM_URLS
from crawler.sources import CrawlPolicy, Source, SourceFile
from regionsok.jsonfile import write_text_atomic

#: Articles fetched per source to see that they answer (the check is a sample, not a crawl).
SAMPLE_ARTICLES = 2
#: Bytes read of one page: enough for a listing's links, bounded against a huge page.
MAX_BYTES = 2 * 1024 * 1024


@dataclass(slots=True)
class SourceCheck:
    """What checking one source found; ``ok`` when a start page answered and robots allow it."""

    name: str
    reachable: bool = False
    status: int | None = None
    start_url: str | None = None
    final_url: str | None = None
    redirected_to: str | None = None  # the new address, when the pages moved to another host
    robots: str = "not checked"  # "allowed", "disallowed", "none" (no robots.txt), "error"
    platform: str | None = None  # as configured
    platform_seen: str | None = None  # as recognised from the address / page
    articles_seen: int = 0
    articles_ok: int = 0
    sample: list[str] = field(default_factory=list)
    error: str | None = None
    suggestion: str = ""

    @property
    def ok(self) -> bool:
        return self.reachable and self.robots != "disallowed" and self.redirected_to is None

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok}


@dataclass(frozen=True, slots=True)
class Page:
    status: int
    url: str  # after redirects
    body: str


Fetch = Callable[[str], Page]


class PoliteFetcher:
    """GET with the crawler's User-Agent, a timeout, and at least ``delay`` s between requests to a host."""

    def __init__(self, user_agent: str, policy: CrawlPolicy, sleep: Callable[[float], None] = time.sleep) -> None:
        self.user_agent = user_agent
        self.timeout = policy.download_timeout
        self.delay = policy.download_delay
        self._last: dict[str, float] = {}
        self._sleep = sleep

    def __call__(self, url: str) -> Page:
        host = urlsplit(url).netloc
        wait = self._last.get(host, float("-inf")) + self.delay - time.monotonic()
        if wait > 0:
            self._sleep(wait)
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # http(s) only
                body = response.read(MAX_BYTES)
                page = Page(response.status, response.geturl(), body.decode("utf-8", "replace"))
        except urllib.error.HTTPError as err:
            page = Page(err.code, err.geturl() or url, "")
        finally:
            self._last[host] = time.monotonic()
        return page


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def links(html: str, base: str) -> list[str]:
    """The page's http(s) links, absolute, without fragments, in order, once each."""
    parser = _Links()
    try:
        parser.feed(html)
    except Exception:  # HTMLParser on hostile markup: keep what was found
        pass
    out: dict[str, None] = {}
    for href in parser.hrefs:
        url = urljoin(base, href.strip()).split("#", 1)[0]
        if urlsplit(url).scheme in ("http", "https"):
            out[url] = None
    return list(out)


def recognise_platform(url: str, html: str = "") -> str | None:
    """The press-room platform a page is on, from its host (or a platform's domain in its links)."""
    host = urlsplit(url).netloc.lower()
    domains = {name: urls.domains for name, urls in PLATFORM_URLS.items()}
    for name, hosts in domains.items():
        if any(host == d or host.endswith("." + d) for d in hosts):
            return name
    for name, hosts in domains.items():
        if any(re.search(r"https?://(?:[\w-]+\.)*" + re.escape(d) + r"/", html) for d in hosts):
            return name  # a site that links its press room on the platform
    return None


def _article_patterns(source: Source) -> tuple[str, ...]:
    if source.items:
        return source.items
    urls = PLATFORM_URLS.get(source.platform)
    if urls is not None and urls.items:
        return urls.items
    return source.allow


def _on_allowed_host(url: str, source: Source) -> bool:
    host = urlsplit(url).hostname or ""
    return any(host == d or host.endswith("." + d) for d in source.allowed_domains)


def _robots(fetch: Fetch, start: str, user_agent: str) -> tuple[str, urllib.robotparser.RobotFileParser | None]:
    parts = urlsplit(start)
    try:
        page = fetch(f"{parts.scheme}://{parts.netloc}/robots.txt")
    except (OSError, ValueError):
        return "error", None
    if page.status >= 400:
        return "none", None  # no robots.txt: everything is allowed (RFC 9309)
    parser = urllib.robotparser.RobotFileParser()
    parser.parse(page.body.splitlines())
    return ("allowed" if parser.can_fetch(user_agent, start) else "disallowed"), parser


def check_source(source: Source, fetch: Fetch, user_agent: str) -> SourceCheck:
    """Check one source (see the module docstring); never raises for network trouble."""
    result = SourceCheck(name=source.name, platform=source.platform)
    patterns = [re.compile(p) for p in _article_patterns(source)]
    articles: dict[str, None] = {}
    for start in source.start_urls:
        result.start_url = start
        result.robots, robots = _robots(fetch, start, user_agent)
        if result.robots == "disallowed":
            result.error = f"robots.txt disallows {start}"
            continue
        try:
            page = fetch(start)
        except (OSError, ValueError) as err:
            result.error = f"{start}: {getattr(err, 'reason', None) or err}"
            continue
        result.status, result.final_url = page.status, page.url
        if page.status >= 400:
            result.error = f"{start} answers {page.status}"
            continue
        result.reachable = True
        result.error = None
        if not _on_allowed_host(page.url, source):
            result.redirected_to = page.url
        result.platform_seen = recognise_platform(page.url, page.body)
        for url in links(page.body, page.url):
            if robots is not None and not robots.can_fetch(user_agent, url):
                continue
            if (_on_allowed_host(url, source) or result.redirected_to) and url not in source.start_urls and (
                any(p.search(url) for p in patterns) if patterns else urlsplit(url).query == ""
            ):
                articles[url] = None
        break  # one start page that answers is enough to judge the source
    result.articles_seen = len(articles)
    for url in list(articles)[:SAMPLE_ARTICLES]:
        try:
            answered = fetch(url).status < 400
        except (OSError, ValueError):
            answered = False
        result.sample.append(url)
        result.articles_ok += answered
    result.suggestion = suggest(source, result)
    return result


def suggest(source: Source, result: SourceCheck) -> str:
    """A fix in words for what the check found."""
    if result.robots == "disallowed":
        return "robots.txt forbids crawling it: set enabled = false, or ask the site for access"
    if not result.reachable:
        if result.status in (404, 410):
            return "the start page is gone: find the new address of its news or agreement pages"
        return "the site did not answer: check the address, or try again later"
    if result.redirected_to:
        host = urlsplit(result.redirected_to).hostname or ""
        return f"moved to {result.redirected_to}: set start_urls to it and allowed_domains to [\"{host}\"]"
    if result.platform_seen and result.platform_seen != source.platform:
        return f"the press room is on {result.platform_seen}: set platform = \"{result.platform_seen}\" and its newsroom"
    if result.articles_seen == 0:
        return "no article links seen on the start page: widen allow/items, or start from the listing page"
    if result.articles_ok < len(result.sample):
        return "some sampled articles did not answer: check the items patterns"
    return "looks right: verified"


def check_sources(sources: SourceFile, names: Iterable[str], user_agent: str,
                  fetch: Fetch | None = None, progress: Callable[[SourceCheck], None] | None = None) -> list[SourceCheck]:
    """Check the named sources (all of the file's sources when none are named)."""
    fetcher = fetch or PoliteFetcher(user_agent, sources.policy)
    chosen = sources.select(tuple(names)) if names else list(sources.sources)
    results = []
    for source in chosen:
        result = check_source(source, fetcher, user_agent)
        results.append(result)
        if progress:
            progress(result)
    return results


_NAME_LINE = re.compile(r'^name\s*=\s*"([^"]+)"\s*$')
_KEY_LINE = re.compile(r"^(verified|checked|note)\s*=")


def write_results(path: Path, results: Iterable[SourceCheck], today: date | None = None) -> None:
    """Record ``verified``, ``checked`` and ``note`` of each checked source in the TOML file.

    Edits only those three keys of the checked sources' tables (appending them after the
    ``name`` line when missing), so comments, order and every other key stay as written; the
    file is replaced atomically.
    """
    by_name = {r.name: r for r in results}
    day = (today or date.today()).isoformat()
    out: list[str] = []
    current: SourceCheck | None = None
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("[["):
            current = None
        match = _NAME_LINE.match(stripped)
        if match:
            current = by_name.get(match.group(1))
            out.append(line)
            if current is not None:
                out += [f"verified = {'true' if current.ok else 'false'}", f'checked = "{day}"',
                        f"note = {_toml_string(_note(current))}"]
            continue
        if current is not None and _KEY_LINE.match(stripped):
            continue  # replaced by the lines written after `name`
        out.append(line)
    write_text_atomic(path, "\n".join(out) + "\n")


def _note(result: SourceCheck) -> str:
    seen = f"{result.articles_seen} article link(s) seen, {result.articles_ok}/{len(result.sample)} sampled answered"
    return f"sources check: {result.suggestion} ({seen})"


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
