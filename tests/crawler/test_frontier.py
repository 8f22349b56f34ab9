"""Several crawl workers sharing one frontier in a real Redis (``REGIONSOK_CRAWL_QUEUE``).

The workers are real ``regionsok crawl --worker`` processes crawling the demo site; what
they asked is counted at the site, what they stored is read from the store. The site holds
its answers until every worker has joined the run, so no worker can finish the crawl alone
before the other one starts (what the test is about is sharing, not start-up speed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import redis

from crawler.demosite import DemoSite
from crawler.demosite.site import iter_demo_paths
from crawler.demosite.sources import write_demo_sources
from crawler.frontier import source_key
from crawler.run import crawl
from regionsok.settings import Settings, child_environment
from regionsok.store import Store
from tests.crawler.conftest import REPO, run_cli

SOURCES = ("demo-press", "demo-agreements")
PER_SITE = 2  # concurrent_requests_per_domain of the demo sources file


def _start_worker(settings: Settings, queue: str, sources: Path, *, fault: str | None = None) -> subprocess.Popen[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "REGIONSOK_CRAWL_QUEUE": queue}
    env.pop("REGIONSOK_FAULT_AT", None)
    if fault:
        env["REGIONSOK_FAULT_AT"] = fault
    command = [sys.executable, "-m", "regionsok", "--data-dir", str(settings.data_dir),
               "crawl", "--worker", "--sources", str(sources)]
    return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_until_joined(queue: str, workers: list[subprocess.Popen[str]]) -> None:
    """Until every worker has joined every source's run (asked of Redis, not timed)."""
    server = redis.Redis.from_url(queue)
    deadline = time.monotonic() + 120
    while not all(server.scard(source_key(s, "workers")) == len(workers) for s in SOURCES):
        for worker in workers:
            if worker.poll() is not None:
                out, err = worker.communicate()
                raise AssertionError(f"a worker ended before joining ({worker.returncode}): {out}{err}")
        assert time.monotonic() < deadline, "the workers did not join the frontier"
        time.sleep(0.05)


def _finish(worker: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = worker.communicate(timeout=300)
    return worker.returncode, out + err


def _stored_documents(settings: Settings) -> tuple[list[str], int]:
    """Document URLs (one entry per stored document) and the number of document versions."""
    with Store.open(settings.db_path) as store:
        urls = [r[0] for r in store.conn.execute("SELECT url FROM documents")]
        versions = store.conn.execute("SELECT count(*) FROM document_versions").fetchone()[0]
    return urls, versions


def _crawl_together(tmp_path: Path, site: DemoSite, queue: str, faults: tuple[str | None, ...]) -> tuple[
        Settings, list[tuple[int, str]]]:
    settings = Settings(data_dir=tmp_path / "data")
    sources = write_demo_sources(tmp_path / "sources.toml", site.url)
    with Store.open(settings.db_path):
        pass  # the store exists before the workers start
    site.hold()
    workers = [_start_worker(settings, queue, sources, fault=fault) for fault in faults]
    try:
        _wait_until_joined(queue, workers)
    finally:
        site.release()
    return settings, [_finish(w) for w in workers]


def test_two_workers_fetch_every_page_once_and_store_every_document_once(
    tmp_path: Path, crawl_queue: str
) -> None:
    with DemoSite(latency=0.01) as site:
        settings, results = _crawl_together(tmp_path, site, crawl_queue, (None, None))
        asked = site.requests
        expected = {site.url + path for path in iter_demo_paths(site)}
        most_at_once = site.max_in_flight

    assert [code for code, _ in results] == [0, 0], results
    # robots.txt is read by each worker for itself; the 500 of the flaky page is retried.
    pages = Counter(r.target for r in asked if r.path != "/robots.txt" and r.status != 500)
    assert pages.pop("/sitemap.xml") == len(SOURCES), "each source's start requests were handed out once"
    assert pages and max(pages.values()) == 1, sorted(t for t, n in pages.items() if n > 1)
    assert "/nyheter/" in pages and "/samverkan/" in pages
    assert not any(r.path.startswith("/intern/") for r in asked), "robots.txt disallows /intern/"
    assert most_at_once <= PER_SITE, f"{most_at_once} requests at once on one site"
    documents, versions = _stored_documents(settings)
    assert set(documents) == expected
    assert len(documents) == len(expected) == versions, "every document stored and ingested once"
    # Both workers did a share of the work, and together exactly one crawl's.
    shares = [json.loads(p.read_text())["crawl"]["totals"] for p in sorted(settings.runs_dir.glob("*-crawl-*.json"))]
    assert len(shares) == 2 and all(share["fetched"] > 0 for share in shares), shares
    assert sum(share["new"] for share in shares) == len(expected)


def _start_crawl_process(settings: Settings, sources: Path, report: Path, *, fault: str | None = None
                         ) -> subprocess.Popen[str]:
    """The crawl process alone (what ``regionsok crawl`` runs; no ingest afterwards)."""
    env = child_environment(settings)
    env.pop("REGIONSOK_FAULT_AT", None)
    if fault:
        env["REGIONSOK_FAULT_AT"] = fault
    command = [sys.executable, "-m", "crawler.process", "--sources", str(sources), "--report", str(report)]
    return subprocess.Popen(command, env=env, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_worker_killed_mid_crawl_loses_nothing(tmp_path: Path, crawl_queue: str) -> None:
    settings = Settings(data_dir=tmp_path / "data", crawl_queue=crawl_queue)
    with DemoSite(latency=0.01) as site:
        sources = write_demo_sources(tmp_path / "sources.toml", site.url)
        with Store.open(settings.db_path):
            pass  # the store exists before the workers start
        site.hold()
        # The first worker kills itself (SIGKILL) right after its third answer arrives: it
        # holds that page (downloaded, not yet parsed) and whatever else it popped.
        workers = [_start_crawl_process(settings, sources, tmp_path / "killed.json", fault="crawl.response@3"),
                   _start_crawl_process(settings, sources, tmp_path / "survivor.json")]
        try:
            _wait_until_joined(crawl_queue, workers)
        finally:
            site.release()
        (killed, _), (survivor, said) = [_finish(w) for w in workers]
        asked = site.requests
        expected = {site.url + path for path in iter_demo_paths(site)}
        most_at_once = site.max_in_flight

    assert killed == -9
    assert survivor == 0, said
    with Store.open(settings.db_path) as store:
        stored = [r[0] for r in store.conn.execute("SELECT url FROM pages WHERE NOT listing")]
    assert set(stored) == expected, f"lost: {sorted(expected - set(stored))}"
    assert not any(r.path.startswith("/intern/") for r in asked)
    assert most_at_once <= PER_SITE
    # The run ended: nothing is left queued or in flight.
    server = redis.Redis.from_url(crawl_queue)
    for source in SOURCES:
        assert server.zcard(source_key(source, "queue")) == 0
        assert server.hget(source_key(source, "state"), "phase") == b"done"


def test_next_run_recrawls_conditionally(tmp_path: Path, crawl_queue: str, demo_site: DemoSite) -> None:
    settings = Settings(data_dir=tmp_path / "data", crawl_queue=crawl_queue)
    sources = write_demo_sources(tmp_path / "sources.toml", demo_site.url)
    first = crawl(settings, sources)
    assert first.total("new") > 10
    demo_site.clear_log()

    second = crawl(settings, sources)  # the first run is over: this one starts the next

    assert second.total("new") == second.total("changed") == 0
    pages = [r for r in demo_site.requests if r.path not in ("/robots.txt", "/sitemap.xml")]
    assert pages and all(r.status == 304 and r.conditional for r in pages), [
        (r.target, r.status) for r in pages if r.status != 304
    ]


def test_worker_without_a_frontier_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli(Settings(data_dir=tmp_path / "data"), "crawl", "--worker", "--source", "demo-press")
    assert result.returncode == 2
    assert "REGIONSOK_CRAWL_QUEUE" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("url", ["http://localhost:6379", "localhost:6379"])
def test_crawl_queue_must_be_a_redis_url(url: str) -> None:
    with pytest.raises(ValueError, match="crawl_queue"):
        Settings(crawl_queue=url)


def test_workers_share_sitemap_bookkeeping_so_the_last_reader_rechecks_unlisted_pages(crawl_queue: str) -> None:
    from crawler.frontier import RedisLedger

    server = redis.Redis.from_url(crawl_queue)
    seeder, other = RedisLedger(server, "demo-press"), RedisLedger(server, "demo-press")
    seeder.sitemaps_started(1)  # the seeder asks for the sitemap index
    other.sitemaps_started(1)  # the index, read by another worker, lists one more sitemap
    other.sitemap_read([])
    assert not other.sitemap_done(True)
    seeder.sitemap_read(["http://x/a"])
    assert seeder.sitemap_done(True), "the last sitemap read, by any worker, ends the reading"
    assert other.in_sitemaps(["http://x/a", "http://x/b"]) == [True, False]
    # The trap guard's variant count is one count for the crawl, whichever worker asks.
    assert seeder.admit_variant("x/kalender?manad", "http://x/kalender?manad=1", 2)
    assert other.admit_variant("x/kalender?manad", "http://x/kalender?manad=2", 2)
    assert not seeder.admit_variant("x/kalender?manad", "http://x/kalender?manad=3", 2)
    assert other.admit_variant("x/kalender?manad", "http://x/kalender?manad=1", 2), "a counted URL stays admitted"


def test_unreachable_frontier_fails_before_any_request(tmp_path: Path, demo_site: DemoSite) -> None:
    from crawler.errors import CrawlError

    sources = write_demo_sources(tmp_path / "sources.toml", demo_site.url)
    settings = Settings(data_dir=tmp_path / "data", crawl_queue="redis://:s3cret@127.0.0.1:9/0")
    with pytest.raises(CrawlError, match="cannot be reached") as raised:
        crawl(settings, sources)
    assert "s3cret" not in str(raised.value)
    assert demo_site.requests == []


def test_seeder_killed_before_the_run_opens_is_replaced_by_the_next_worker(
    tmp_path: Path, crawl_queue: str, demo_site: DemoSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    from crawler.errors import CrawlError

    settings = Settings(data_dir=tmp_path / "data", crawl_queue=crawl_queue)
    sources = write_demo_sources(tmp_path / "sources.toml", demo_site.url)
    monkeypatch.setenv("REGIONSOK_FAULT_AT", "crawl.seeded")
    with pytest.raises(CrawlError, match="status -9"):
        crawl(settings, sources)  # the first worker queues its start requests and dies
    monkeypatch.delenv("REGIONSOK_FAULT_AT")

    report = crawl(settings, sources)  # the next worker joins the orphaned run and finishes it

    expected = {demo_site.url + path for path in iter_demo_paths(demo_site)}
    with Store.open(settings.db_path) as store:
        stored = {r[0] for r in store.conn.execute("SELECT url FROM pages WHERE NOT listing")}
    assert expected <= stored, f"lost: {sorted(expected - stored)}"
    assert not report.all_failed
    server = redis.Redis.from_url(crawl_queue)
    assert all(server.hget(source_key(s, "state"), "phase") == b"done" for s in SOURCES)


def test_site_leases_bound_concurrency_and_pace_across_workers(crawl_queue: str) -> None:
    from crawler.frontier import SiteLeases, heartbeat_prefix

    server = redis.Redis.from_url(crawl_queue)
    for worker in ("a", "b"):
        server.set(heartbeat_prefix() + worker, "1")
    first, second = SiteLeases(server, "a"), SiteLeases(server, "b")
    taken = [first.take("site.se", limit=2, hold=60, gap=0), second.take("site.se", limit=2, hold=60, gap=0)]
    assert all(token for token, _ in taken)
    assert first.take("site.se", limit=2, hold=60, gap=0) == (None, -1.0), "the third must wait for a slot"
    assert second.take("other.se", limit=2, hold=60, gap=0)[0], "another site has its own slots"
    second.give_back("site.se", str(taken[1][0]))
    token, _ = first.take("site.se", limit=2, hold=60, gap=30)
    assert token, "a slot given back is free again"
    first.give_back("site.se", token)
    token, wait = second.take("site.se", limit=2, hold=60, gap=30)
    assert token is None and 25 < wait <= 30, "the next request to the site waits out the delay, whichever worker sends it"


def test_a_dead_workers_site_leases_come_free(crawl_queue: str) -> None:
    from crawler.frontier import SiteLeases, heartbeat_prefix

    server = redis.Redis.from_url(crawl_queue)
    server.set(heartbeat_prefix() + "alive", "1")
    dead, alive = SiteLeases(server, "dead"), SiteLeases(server, "alive")
    server.set(heartbeat_prefix() + "dead", "1")
    assert dead.take("site.se", limit=1, hold=600, gap=0)[0]
    assert alive.take("site.se", limit=1, hold=600, gap=0)[0] is None
    server.delete(heartbeat_prefix() + "dead")  # its heartbeat lapsed
    assert alive.take("site.se", limit=1, hold=600, gap=0)[0], "the dead worker's lease was dropped"


def test_without_a_crawl_queue_the_crawl_keeps_scrapys_own_scheduler() -> None:
    from crawler.settings import scrapy_settings
    from crawler.sources import CrawlPolicy

    alone = scrapy_settings(Settings(), CrawlPolicy())
    shared = scrapy_settings(Settings(crawl_queue="redis://127.0.0.1:6379/0"), CrawlPolicy())
    assert "SCHEDULER" not in alone and "REDIS_URL" not in alone and "DOWNLOADER_MIDDLEWARES" not in alone
    assert shared["SCHEDULER"] == "crawler.frontier.FrontierScheduler"
    assert shared["REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_worker_that_loses_redis_stops_and_reports_the_sources_failed(tmp_path: Path, demo_site: DemoSite) -> None:
    from tests.support.redis import start_redis

    server, queue = start_redis(tmp_path)
    try:
        settings = Settings(data_dir=tmp_path / "data", crawl_queue=queue)
        sources = write_demo_sources(tmp_path / "sources.toml", demo_site.url)
        demo_site.hold()
        worker = _start_crawl_process(settings, sources, tmp_path / "report.json")
        try:
            _wait_until_joined(queue, [worker])
            server.kill()  # Redis goes away mid-crawl
            server.wait()
        finally:
            demo_site.release()
        code, said = _finish(worker)
    finally:
        server.kill()
    assert code == 0, said  # the report was written: the crawl ended instead of hanging
    report = json.loads((tmp_path / "report.json").read_text())
    assert all(not s["ok"] and "frontier was lost" in s["error"] for s in report["sources"]), report
