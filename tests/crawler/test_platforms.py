"""A press room on a platform (here a Mynewsdesk-shaped one on loopback) is crawled by its base spider."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from crawler.run import crawl
from regionsok.settings import Settings
from regionsok.store import Store

ROOM = "/se/region-test/pressreleases"
RELEASES = [f"{ROOM}/region-test-satsar-pa-psykisk-halsa-{n}" for n in range(301, 306)]


def _page(body: str) -> bytes:
    return f"<!DOCTYPE html><html lang='sv'><head><title>Region Test</title></head><body>{body}</body></html>".encode()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # http.server's naming
        path, _, query = self.path.partition("?")
        if path == "/robots.txt":
            body, status = b"User-agent: *\nAllow: /\n", 200
        elif path == ROOM:
            page = int(query.removeprefix("page=") or 1)
            links = "".join(f'<li><a href="{u}">Release {u[-3:]}</a></li>' for u in RELEASES[(page - 1) * 3 : page * 3])
            pager = f'<a rel="next" href="{ROOM}?page={page + 1}">Fler</a>' if page * 3 < len(RELEASES) else ""
            body, status = _page(f"<h1>Pressmeddelanden</h1><ul>{links}</ul>{pager}"), 200
        elif path in RELEASES:
            text = f"Region Test satsar på psykisk hälsa, del {path[-3:]}. " * 20
            body, status = _page(f"<article><h1>Release {path[-3:]}</h1><p>{text}</p></article>"), 200
        else:
            body, status = _page("<h1>Hittades inte</h1>"), 404
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8" if path != "/robots.txt" else "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # base signature
        pass


@pytest.fixture()
def press_room() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_mynewsdesk_base_spider_stores_releases_and_follows_paging(press_room: str, tmp_path: Path) -> None:
    sources = tmp_path / "sources.toml"
    # Production entries need only `platform` and `newsroom`; here the room is on loopback.
    sources.write_text(
        '[crawl]\ndownload_delay = 0.0\nautothrottle_start_delay = 0.0\n\n'
        f'[[source]]\nname = "region-test-mynewsdesk"\ncounty = "03"\nkind = "press_release"\n'
        f'platform = "mynewsdesk"\nstart_urls = ["{press_room}{ROOM}"]\nallowed_domains = ["127.0.0.1"]\n',
        encoding="utf-8",
    )
    settings = Settings(data_dir=tmp_path / "data")

    report = crawl(settings, sources)

    assert report.total("new") == len(RELEASES) and report.total("failed") == 0
    with Store.open(settings.db_path) as store:
        documents = {r[0] for r in store.conn.execute("SELECT url FROM pages WHERE NOT listing")}
        listings = {r[0] for r in store.conn.execute("SELECT url FROM pages WHERE listing")}
    assert documents == {press_room + u for u in RELEASES}
    assert listings == {f"{press_room}{ROOM}", f"{press_room}{ROOM}?page=2"}
