"""The demo site: a realistic small municipal web site served on 127.0.0.1.

Tests crawl it with real Scrapy, and ``regionsok demo`` crawls it so a newcomer can search
at once. It has what real region sites have and what a crawler must cope with: a paginated
press listing, articles wrapped in nav / cookie / browser-warning / footer boilerplate, an
agreement page linking a PDF, sitemap.xml, robots.txt disallowing ``/intern/``, a
redirect, a 404, a page that fails with 500 once, an ISO-8859-1 page, the same article
under two URLs, a session-id link, an endless calendar, and ETag / Last-Modified with 304s.

Article texts are package data (``content/*.txt``: a small ``key: value`` header, ``---``,
then paragraphs); five of them are copied from the project's seed documents. Tests change a
page through :meth:`DemoSite.edit_article` and remove one with :meth:`DemoSite.remove_article`.
"""

from __future__ import annotations

import hashlib
import html
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from email.utils import formatdate, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from urllib.parse import parse_qs, quote, urlsplit

from regionsok.timefmt import TIMESTAMP_FORMAT

logger = logging.getLogger(__name__)

PAGE_SIZE = 4
SITE_NAME = "Samverkansportalen"
# A fixed epoch, so Last-Modified values do not depend on when the site was started.
_EPOCH = datetime(2024, 10, 1, 8, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Article:
    """One page of content: a press release, an agreement page or an internal draft."""

    slug: str
    title: str
    published: date
    org: str
    section: str  # nyheter | samverkan | arkiv | intern
    kind: str
    paragraphs: tuple[str, ...]
    encoding: str = "utf-8"
    flaky: bool = False  # answers 500 the first time it is asked for
    pdf: str | None = None
    modified: datetime = _EPOCH

    @property
    def path(self) -> str:
        return f"/{self.section}/{self.slug}"


@dataclass(slots=True)
class LoggedRequest:
    """A request the site answered, kept so tests can assert what the crawler asked."""

    path: str
    status: int
    conditional: bool
    user_agent: str
    target: str = ""  # path and query, as asked


@dataclass(slots=True)
class _State:
    articles: dict[str, Article] = field(default_factory=dict)
    removed: set[str] = field(default_factory=set)
    flaky_served: set[str] = field(default_factory=set)
    log: list[LoggedRequest] = field(default_factory=list)
    in_flight: int = 0  # requests being answered right now
    max_in_flight: int = 0  # the most ever answered at once


def _parse_content(name: str, text: str) -> Article:
    head, _, body = text.partition("\n---\n")
    meta = dict(line.split(": ", 1) for line in head.splitlines() if ": " in line)
    paragraphs = tuple(p.strip() for p in body.split("\n\n") if p.strip())
    return Article(
        slug=name.removesuffix(".txt"),
        title=meta["title"],
        published=date.fromisoformat(meta["date"]),
        org=meta["org"],
        section=meta["section"],
        kind=meta["kind"],
        paragraphs=paragraphs,
        encoding=meta.get("encoding", "utf-8"),
        flaky=meta.get("flaky") == "1",
        pdf=meta.get("pdf"),
    )


def load_articles() -> list[Article]:
    """The packaged articles, in a stable order."""
    folder = resources.files("crawler.demosite") / "content"
    items = [
        _parse_content(entry.name, entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".txt")
    ]
    return sorted(items, key=lambda a: a.slug)


_ORGS = ("Region Uppsala", "Region Värmland", "Region Örebro län", "Region Västmanland", "Region Kronoberg")
_TOPICS = (
    ("stöd till anhöriga", "anhörigstöd", "Anhöriga till personer med psykisk ohälsa"),
    ("boendestöd", "boendestödet", "Personer med psykisk funktionsnedsättning"),
    ("suicidprevention", "det suicidpreventiva arbetet", "Unga vuxna"),
    ("spelberoende", "behandlingen av spelberoende", "Personer med spelproblem"),
    ("barn som anhöriga", "stödet till barn som anhöriga", "Barn i familjer med missbruk"),
)


def synthetic_articles(count: int) -> list[Article]:
    """``count`` generated press releases, for benchmarks that need a bigger site."""
    out = []
    for i in range(count):
        org = _ORGS[i % len(_ORGS)]
        topic, topic_def, group = _TOPICS[(i // len(_ORGS)) % len(_TOPICS)]
        day = date(2020, 1, 1) + timedelta(days=7 * i)
        paragraphs = (
            f"{org} och kommunerna i länet förstärker {topic_def}. Beslutet fattades den "
            f"{day.isoformat()} och gäller från nästa kvartal.",
            f"{group} ska få ett samordnat stöd från både region och kommun. En samordnad "
            f"individuell plan upprättas när insatser behövs från båda huvudmännen.",
            f"– Det här är ett viktigt steg för {topic}, säger regionrådet Kim Andersson ({'SMCLV'[i % 5]}).",
            f"Satsningen omfattar {1 + i % 9} miljoner kronor och följs upp årligen (nummer {i}).",
        )
        out.append(
            Article(
                slug=f"satsning-{i:04d}",
                title=f"{org} satsar på {topic} ({i})",
                published=day,
                org=org,
                section="nyheter",
                kind="press_release",
                paragraphs=paragraphs,
            )
        )
    return out


# --------------------------------------------------------------------------- rendering

_CSS = "body{font-family:sans-serif;max-width:60em;margin:auto}nav a{margin-right:1em}"


def _page(title: str, main: str, *, canonical: str | None = None, published: date | None = None) -> str:
    """Wrap ``main`` in the boilerplate every real region page has (and extraction must drop)."""
    meta = f'<meta property="og:title" content="{html.escape(title)}">'
    if published:
        meta += f'\n<meta property="article:published_time" content="{published.isoformat()}">'
    if canonical:
        meta += f'\n<link rel="canonical" href="{html.escape(canonical)}">'
    return f"""<!DOCTYPE html>
<html lang="sv">
<head>
<meta charset="{{charset}}">
<title>{html.escape(title)} - {SITE_NAME}</title>
{meta}
<style>{_CSS}</style>
</head>
<body>
<div class="browser-warning">Webbplatsen använder teknik som troligen inte stöds av din webbläsare som
exempelvis Internet Explorer 11. Vissa saker kan se konstiga ut eller inte fungera. Vi rekommenderar att
du byter till en modern webbläsare istället.</div>
<a class="skip" href="#main">Gå direkt till huvudinnehållet</a>
<div id="cookie-banner" role="dialog"><p>Vi använder kakor (cookies) för att webbplatsen ska fungera och
för att förbättra din upplevelse. <a href="/om-webbplatsen/kakor">Läs mer om kakor</a></p>
<button>Godkänn alla kakor</button> <button>Endast nödvändiga</button></div>
<header><a class="logo" href="/">{SITE_NAME}</a>
<form action="/sok"><input name="q" placeholder="Sök på webbplatsen"></form>
<nav aria-label="Huvudmeny"><a href="/">Start</a> <a href="/nyheter/">Nyheter och pressmeddelanden</a>
<a href="/samverkan/">Överenskommelser och samverkan</a> <a href="/evenemang/kalender?manad=2024-11">Kalender</a>
<a href="/om-webbplatsen/kakor">Om webbplatsen</a></nav></header>
<main id="main">
{main}
</main>
<aside class="share">Dela: <a href="https://www.facebook.com/sharer">Facebook</a>
<a href="https://www.linkedin.com/shareArticle">LinkedIn</a> <a href="mailto:?subject=Tips">E-post</a></aside>
<footer><p>{SITE_NAME} - samlade pressmeddelanden och överenskommelser från regioner och
kommunalförbund.</p><p>Besöksadress: Storgatan 1, 111 22 Stockholm. Telefon: 010-123 45 67.
Organisationsnummer: 232100-0000.</p><p><a href="/om-webbplatsen/kakor">Kakor</a> |
<a href="/om-webbplatsen/tillganglighet">Tillgänglighetsredogörelse</a> |
<a href="/om-webbplatsen/personuppgifter">Behandling av personuppgifter</a></p>
<p>Senast granskad av webbredaktionen.</p></footer>
</body>
</html>
"""


def _render_article(article: Article, canonical: str | None = None) -> str:
    paragraphs = "\n".join(f"<p>{html.escape(p)}</p>" for p in article.paragraphs)
    pdf = ""
    if article.pdf:
        pdf = (
            f'<p class="document"><a href="/dokument/{quote(article.pdf)}">Ladda ner överenskommelsen '
            f"(PDF, 40 kB)</a></p>"
        )
    main = f"""<nav class="breadcrumbs"><a href="/">Start</a> / <a href="/{article.section}/">{article.section.title()}</a></nav>
<article>
<h1>{html.escape(article.title)}</h1>
<p class="meta"><span class="org">{html.escape(article.org)}</span> -
<time datetime="{article.published.isoformat()}">{article.published.isoformat()}</time></p>
{paragraphs}
{pdf}
</article>
<p class="updated">Senast uppdaterad: {article.published.isoformat()}</p>"""
    return _page(article.title, main, canonical=canonical, published=article.published)


# --------------------------------------------------------------------------- the server


class DemoSite:
    """A threaded HTTP server on 127.0.0.1 serving the demo site; use as a context manager.

    ``port=0`` picks a free port; :attr:`url` is the base URL once started. ``host`` is the
    address to listen on: loopback by default, another host's address in bench/cluster.py,
    where crawlers on other (network-namespace) hosts fetch it. ``latency``
    seconds are spent on every answer, like a real server's, so that concurrent requests
    overlap and :attr:`max_in_flight` measures how many a crawler sends at a time.
    """

    def __init__(self, port: int = 0, *, host: str = "127.0.0.1", synthetic: int = 0, latency: float = 0.0) -> None:
        self._lock = threading.Lock()
        self.latency = latency
        self._open = threading.Event()
        self._open.set()
        self._state = _State()
        for article in [*load_articles(), *synthetic_articles(synthetic)]:
            self._state.articles[article.slug] = article
        self._pdf_files = {
            entry.name: entry.read_bytes()
            for entry in (resources.files("crawler.demosite") / "files").iterdir()
            if entry.name.endswith(".pdf")
        }
        self._server = ThreadingHTTPServer((host, port), _make_handler(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    # -- lifecycle

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        host = host.decode() if isinstance(host, bytes) else host
        return f"http://{host}:{port}"

    def start(self) -> DemoSite:
        self._thread = threading.Thread(target=self._server.serve_forever, name="demosite", daemon=True)
        self._thread.start()
        logger.info("demo site serving", extra={"url": self.url})
        return self

    def stop(self) -> None:
        self._open.set()  # held answers finish, so their threads end
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> DemoSite:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests change and inspect

    def edit_article(self, slug: str, text: str, *, replace_all: bool = False) -> str:
        """Append a paragraph (or replace the text) of one article; returns its path.

        The article's Last-Modified moves on and its ETag changes, as on a real CMS.
        """
        with self._lock:
            article = self._state.articles[slug]
            paragraphs = (text,) if replace_all else (*article.paragraphs, text)
            modified = max(datetime.now(UTC).replace(microsecond=0), article.modified + timedelta(seconds=1))
            self._state.articles[slug] = replace(article, paragraphs=paragraphs, modified=modified)
            return article.path

    def remove_article(self, slug: str) -> str:
        """Make an article answer 410 Gone (and drop it from listings); returns its path."""
        with self._lock:
            self._state.removed.add(slug)
            return self._state.articles[slug].path

    def articles(self, section: str | None = None) -> list[Article]:
        """Live articles, newest first."""
        with self._lock:
            items = [
                a
                for a in self._state.articles.values()
                if a.slug not in self._state.removed and (section is None or a.section == section)
            ]
        return sorted(items, key=lambda a: (a.published, a.slug), reverse=True)

    @property
    def requests(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._state.log)

    def clear_log(self) -> None:
        with self._lock:
            self._state.log.clear()
            self._state.max_in_flight = self._state.in_flight

    def hold(self) -> None:
        """Keep every answer waiting (connections are accepted) until :meth:`release`."""
        self._open.clear()

    def release(self) -> None:
        self._open.set()

    @property
    def max_in_flight(self) -> int:
        """The most requests the site was answering at one time (since the last clear_log)."""
        with self._lock:
            return self._state.max_in_flight

    def _enter(self) -> None:
        with self._lock:
            self._state.in_flight += 1
            self._state.max_in_flight = max(self._state.max_in_flight, self._state.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self._state.in_flight -= 1

    def public_article_paths(self) -> list[str]:
        """Paths of every article a polite crawler should store (everything but /intern/)."""
        return [a.path for a in self.articles() if a.section != "intern"]

    def pdf_paths(self) -> list[str]:
        return [f"/dokument/{quote(name)}" for name in sorted(self._pdf_files)]

    # -- routing (called from the handler threads)

    def respond(self, path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        """Status, headers and body for a GET (conditional headers are applied by the handler)."""
        if path == "/robots.txt":
            body = f"User-agent: *\nDisallow: /intern/\n\nSitemap: {self.url}/sitemap.xml\n"
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, body.encode()
        if path == "/sitemap.xml":
            return 200, {"Content-Type": "application/xml"}, self._sitemap().encode()
        if path == "/gammalt-pressrum":
            return 301, {"Location": "/nyheter/"}, b""
        if path in ("/", ""):
            return self._html(self._home(), modified=self._latest())
        if path in ("/nyheter/", "/samverkan/", "/intern/"):
            page = int((query.get("sida") or ["1"])[0]) if (query.get("sida") or ["1"])[0].isdigit() else 1
            return self._listing(path.strip("/"), page)
        if path == "/evenemang/kalender":
            return self._calendar((query.get("manad") or ["2024-11"])[0])
        if path.startswith("/dokument/"):
            name = path.removeprefix("/dokument/")
            if name in self._pdf_files:
                return 200, {"Content-Type": "application/pdf", "Last-Modified": _http_date(_EPOCH)}, (
                    self._pdf_files[name]
                )
        if path.startswith("/press/"):
            # The same press release under a second URL, pointing to the first as canonical.
            article = self._state.articles.get(path.removeprefix("/press/"))
            if article and article.section == "nyheter" and article.slug not in self._state.removed:
                return self._html(_render_article(article, canonical=f"{self.url}{article.path}"), article.modified)
        section, _, slug = path.strip("/").partition("/")
        with self._lock:
            article = self._state.articles.get(slug)
            gone = slug in self._state.removed
        if article and article.section == section:
            if gone:
                return 410, {"Content-Type": "text/html; charset=utf-8"}, _not_found("Sidan har tagits bort")
            if article.flaky:
                with self._lock:
                    first = slug not in self._state.flaky_served
                    self._state.flaky_served.add(slug)
                if first:
                    return 500, {"Content-Type": "text/html; charset=utf-8"}, b"<h1>Internal Server Error</h1>"
            return self._html(_render_article(article), article.modified, encoding=article.encoding)
        return 404, {"Content-Type": "text/html; charset=utf-8"}, _not_found("Sidan kunde inte hittas")

    def _html(
        self, page: str, modified: datetime, *, encoding: str = "utf-8"
    ) -> tuple[int, dict[str, str], bytes]:
        body = page.replace("{charset}", encoding).encode(encoding, errors="xmlcharrefreplace")
        headers = {"Content-Type": f"text/html; charset={encoding}", "Last-Modified": _http_date(modified)}
        return 200, headers, body

    def _latest(self) -> datetime:
        return max(a.modified for a in self.articles())

    def _home(self) -> str:
        news = self.articles("nyheter")[:3]
        items = "\n".join(f'<li><a href="{a.path}">{html.escape(a.title)}</a></li>' for a in news)
        focus = "battre-stod-missbruk-psykisk-funktionsnedsattning"
        main = f"""<h1>Välkommen till {SITE_NAME}</h1>
<p>Här samlas pressmeddelanden och överenskommelser om psykisk hälsa, missbruk och beroende.</p>
<h2>Senaste nytt</h2><ul>{items}</ul>
<h2>I fokus</h2><ul>
<li><a href="/nyheter/{focus}?utm_source=nyhetsbrev&amp;utm_medium=epost">Nu förbättras stödet (från nyhetsbrevet)</a></li>
<li><a href="/press/{focus}">Pressmeddelandet i pressrummet</a></li>
<li><a href="/nyheter/?sessionid=8f3a9c2e71d44b0c">Alla nyheter</a></li>
<li><a href="/gammalt-pressrum">Vårt gamla pressrum</a></li>
<li><a href="/nyheter/pressinbjudan-som-inte-finns">En gammal pressinbjudan</a></li>
<li><a href="/intern/">Intranät (för medarbetare)</a></li>
<li><a href="/arkiv/blekinge-presstraff-varannan-vecka">Ur arkivet</a></li>
</ul>"""
        return _page(SITE_NAME, main)

    def _listing(self, section: str, page: int) -> tuple[int, dict[str, str], bytes]:
        items = self.articles(section)
        pages = max(1, (len(items) + PAGE_SIZE - 1) // PAGE_SIZE)
        if page > pages:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, _not_found("Sidan kunde inte hittas")
        shown = items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        rows = "\n".join(
            f'<li><a href="{a.path}">{html.escape(a.title)}</a> <time>{a.published.isoformat()}</time>'
            f"<p>{html.escape(a.paragraphs[0][:160])}</p></li>"
            for a in shown
        )
        pager = ""
        if page > 1:
            pager += f'<a rel="prev" href="/{section}/?sida={page - 1}">Föregående</a> '
        if page < pages:
            pager += f'<a rel="next" href="/{section}/?sida={page + 1}">Nästa sida</a>'
        title = {"nyheter": "Nyheter och pressmeddelanden", "samverkan": "Överenskommelser och samverkan"}.get(
            section, "Intranät"
        )
        main = f'<h1>{title}</h1><ul class="list">{rows}</ul><nav class="pager">{pager}</nav>'
        modified = max((a.modified for a in items), default=_EPOCH)
        return self._html(_page(f"{title} - sida {page}", main), modified)

    def _calendar(self, month: str) -> tuple[int, dict[str, str], bytes]:
        """An endless calendar: every month links to the previous and the next one (a crawler trap)."""
        try:
            first = datetime.strptime(month, "%Y-%m").date()
        except ValueError:
            return 404, {"Content-Type": "text/html; charset=utf-8"}, _not_found("Ogiltig månad")
        prev_month = (first - timedelta(days=1)).strftime("%Y-%m")
        next_month = (first + timedelta(days=32)).strftime("%Y-%m")
        main = (
            f"<h1>Kalender {month}</h1><p>Inga evenemang denna månad.</p>"
            f'<a href="/evenemang/kalender?manad={prev_month}">Föregående månad</a> '
            f'<a href="/evenemang/kalender?manad={next_month}">Nästa månad</a>'
        )
        return self._html(_page(f"Kalender {month}", main), _EPOCH)

    def _sitemap(self) -> str:
        # <lastmod> as a CMS writes it: when the page last changed (crawlers skip the rest).
        urls = [
            (f"{self.url}{a.path}", a.modified) for a in self.articles() if a.section in ("nyheter", "samverkan")
        ]
        urls += [(f"{self.url}{p}", _EPOCH) for p in self.pdf_paths()]
        entries = "\n".join(
            f"  <url><loc>{html.escape(u)}</loc><lastmod>{m.strftime(TIMESTAMP_FORMAT)}</lastmod></url>"
            for u, m in urls
        )
        return (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
            f"{entries}\n</urlset>\n"
        )

    def record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._state.log.append(entry)


def _not_found(message: str) -> bytes:
    return _page(message, f"<h1>{message}</h1>").replace("{charset}", "utf-8").encode()


def _http_date(moment: datetime) -> str:
    return formatdate(moment.timestamp(), usegmt=True)


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _not_modified(headers: dict[str, str], etag: str, request_headers: object) -> bool:
    """RFC 9110: If-None-Match wins over If-Modified-Since when both are sent."""
    get = request_headers.get  # type: ignore[attr-defined]
    inm = get("If-None-Match")
    if inm is not None:
        return etag in [tag.strip() for tag in inm.split(",")] or inm.strip() == "*"
    ims = get("If-Modified-Since")
    if ims and "Last-Modified" in headers:
        try:
            return parsedate_to_datetime(headers["Last-Modified"]) <= parsedate_to_datetime(ims)
        except (TypeError, ValueError):
            return False
    return False


def _make_handler(site: DemoSite) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "DemoCMS/1.0"
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # http.server's naming
            self._serve(send_body=True)

        def do_HEAD(self) -> None:
            self._serve(send_body=False)

        def _serve(self, send_body: bool) -> None:
            site._enter()
            try:
                self._answer(send_body)
            finally:
                site._leave()

        def _answer(self, send_body: bool) -> None:
            site._open.wait()
            if site.latency:
                time.sleep(site.latency)  # the server's own work time, not synchronisation
            parts = urlsplit(self.path)
            status, headers, body = site.respond(parts.path, parse_qs(parts.query))
            conditional = "If-None-Match" in self.headers or "If-Modified-Since" in self.headers
            if status == 200:
                headers["ETag"] = _etag(body)
                if _not_modified(headers, headers["ETag"], self.headers):
                    status, body = 304, b""
                    headers = {k: v for k, v in headers.items() if k in ("ETag", "Last-Modified")}
            site.record(LoggedRequest(parts.path, status, conditional, self.headers.get("User-Agent", ""),
                                      target=self.path))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            if status != 304:
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body and status != 304:
                self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:  # base signature
            logger.debug("demosite " + format, *args)

    return Handler


def iter_demo_paths(site: DemoSite) -> Iterator[str]:
    """Every path a complete, polite crawl should store (articles and PDFs), for tests."""
    yield from site.public_article_paths()
    yield from site.pdf_paths()
