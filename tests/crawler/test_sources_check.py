"""`regionsok sources check` against real HTTP servers on loopback: the demo site, a retired
domain that redirects, a page that is gone and a site whose robots.txt forbids everything."""

from __future__ import annotations

import threading
import tomllib
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.check import check_sources, recognise_platform, write_results
from crawler.demosite import DemoSite
from crawler.sources import load_sources

UA = "RegionsokBot/test (+https://example.invalid)"


@pytest.fixture()
def tiny_server() -> Iterator[Callable[[Callable[[str], tuple[int, dict[str, str], bytes]]], int]]:
    """``serve(answer)`` runs a real HTTP server on 127.0.0.1 port 0 answering ``answer(path)``."""
    servers: list[ThreadingHTTPServer] = []

    def serve(answer: Callable[[str], tuple[int, dict[str, str], bytes]]) -> int:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's naming
                status, headers, body = answer(self.path)
                self.send_response(status)
                for key, value in {"Content-Type": "text/html; charset=utf-8", **headers}.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return int(server.server_address[1])

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


SOURCES = """\
# Sources to check (a comment that --write keeps)
[crawl]
download_delay = 0.0
download_timeout = 10.0

[[source]]
name = "works"
kind = "press_release"
start_urls = ["{demo}/nyheter/"]
allowed_domains = ["127.0.0.1"]
allow = ['/nyheter/']
verified = false
note = "never checked"

[[source]]
name = "moved"
kind = "press_release"
start_urls = ["http://localhost:{old}/nyheter/"]
allowed_domains = ["localhost"]

[[source]]
name = "gone"
kind = "press_release"
start_urls = ["{demo}/finns-inte-langre/"]
allowed_domains = ["127.0.0.1"]

[[source]]
name = "forbidden"
kind = "press_release"
start_urls = ["http://localhost:{closed}/"]
allowed_domains = ["localhost"]
"""


def test_sources_are_checked_politely_and_each_problem_gets_a_fix(tmp_path: Path, tiny_server: Callable) -> None:
    with DemoSite() as demo:
        old = tiny_server(lambda path: (301, {"Location": f"{demo.url}{path}"}, b""))
        closed = tiny_server(lambda path: (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /\n")
                             if path == "/robots.txt" else (200, {}, b"<a href='/a'>a</a>"))
        path = tmp_path / "sources.toml"
        path.write_text(SOURCES.format(demo=demo.url, old=old, closed=closed), encoding="utf-8")
        results = {r.name: r for r in check_sources(load_sources(path), (), UA)}

        works, moved, gone, forbidden = (results[n] for n in ("works", "moved", "gone", "forbidden"))
        assert works.ok and works.reachable and works.articles_seen > 0
        assert works.articles_ok == len(works.sample) > 0 and works.robots == "allowed"
        assert not moved.ok and moved.redirected_to == f"{demo.url}/nyheter/"
        assert f"moved to {demo.url}/nyheter/" in moved.suggestion
        assert not gone.ok and gone.status == 404 and "gone" in gone.suggestion
        assert forbidden.robots == "disallowed" and not forbidden.reachable and "robots.txt" in forbidden.suggestion
        # Politeness: the site was asked as the crawler, and never for the page robots forbids.
        assert demo.requests and all(r.user_agent == UA for r in demo.requests)

        write_results(path, results.values())
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# Sources to check (a comment that --write keeps)")
    reloaded = {s.name: s for s in load_sources(path).sources}
    assert reloaded["works"].verified and not reloaded["moved"].verified and reloaded["gone"].checked
    assert "moved to" in (reloaded["moved"].note or "") and reloaded["works"].note != "never checked"
    assert tomllib.loads(text)["source"][0]["allow"] == ["/nyheter/"]  # other keys as written


def test_platforms_are_recognised_from_the_address_or_the_page() -> None:
    assert recognise_platform("https://www.mynewsdesk.com/se/regionuppsala/pressreleases") == "mynewsdesk"
    assert recognise_platform("https://region.example/press",
                              '<a href="https://via.tt.se/pressrum/123/region">Pressrum</a>') == "viatt"
    assert recognise_platform("https://region.example/nyheter/", "<p>Nyheter</p>") is None


def test_the_cli_checks_the_demo_sources_and_writes_the_result(tmp_path: Path, demo_site: DemoSite) -> None:
    import json

    from typer.testing import CliRunner

    from app.cli import app
    from crawler.demosite.sources import write_demo_sources

    path = write_demo_sources(tmp_path / "demo.toml", demo_site.url)
    result = CliRunner().invoke(app, ["sources", "check", "--sources", str(path), "--json", "--write"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.startswith("{")]
    assert [r["name"] for r in lines] == ["demo-press", "demo-agreements"] and all(r["ok"] for r in lines)
    assert all(s.checked for s in load_sources(path).sources)

    missing = CliRunner().invoke(app, ["sources", "check", "--sources", str(tmp_path / "nope.toml")])
    assert missing.exit_code == 2 and "not found" in missing.output
