"""Crawling the demo site with real Scrapy: completeness, politeness, traps, incremental re-crawls."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from crawler.demosite import DemoSite
from crawler.demosite.site import iter_demo_paths
from crawler.report import CrawlReport
from crawler.run import crawl
from ingest.pipeline import ingest_pending_pages
from regionsok.settings import Settings
from regionsok.store import Store

CliRunner = Callable[..., Any]


def _documents_by_url(store: Store) -> dict[str, str]:
    """Stored pages that are documents (not listings), url → sha256."""
    rows = store.conn.execute("SELECT url, sha256 FROM pages WHERE NOT listing")
    return {r["url"]: r["sha256"] for r in rows}


def _versions(store: Store) -> int:
    return store.conn.execute("SELECT count(*) FROM document_versions").fetchone()[0]


def test_first_crawl_stores_every_article_and_pdf_and_nothing_disallowed(
    settings: Settings, demo_site: DemoSite, sources_file: Path
) -> None:
    report = crawl(settings, sources_file)

    with Store.open(settings.db_path) as store:
        stored = _documents_by_url(store)
        expected = {demo_site.url + path for path in iter_demo_paths(demo_site)}
        assert expected <= set(stored), f"missing: {sorted(expected - set(stored))}"
        assert not any("/intern/" in url for url in stored)
        # The calendar and the endless listing pages are followed but never become documents.
        assert not any("kalender" in url for url in stored)
        ingest = ingest_pending_pages(store)
        assert not ingest.failed
        # The press room's copy of an article (rel=canonical) is one document, not two.
        titles = [r[0] for r in store.conn.execute("SELECT title FROM documents")]
        assert len(titles) == len(set(titles)) == len(expected)
        latin1 = store.conn.execute(
            "SELECT text FROM documents WHERE url LIKE '%blekinge-presstraff-varannan-vecka'"
        ).fetchone()[0]
        assert "Blekinge" in latin1 and "å" in latin1 and "\ufffd" not in latin1

    asked = demo_site.requests
    assert not any(r.path.startswith("/intern/") for r in asked), "robots.txt disallows /intern/"
    calendar = [r for r in asked if r.path.startswith("/evenemang/kalender")]
    assert 0 < len(calendar) <= 12, "the calendar trap is bounded by the trap guard"
    assert all("RegionsokBot" in r.user_agent and "+http" in r.user_agent for r in asked)
    # The page that failed with 500 once was retried and stored.
    assert any(r.status == 500 for r in asked)
    assert demo_site.url + "/nyheter/sormland-beroendevard-enkat" in stored
    assert report.total("failed") == 0 and not report.all_failed
    assert report.total("new") == len(expected)


def test_unchanged_site_recrawl_fetches_nothing(settings: Settings, demo_site: DemoSite, sources_file: Path) -> None:
    crawl(settings, sources_file)
    with Store.open(settings.db_path) as store:
        ingest_pending_pages(store)
        versions = _versions(store)
    demo_site.clear_log()

    second = crawl(settings, sources_file)

    assert second.total("new") == second.total("changed") == 0
    pages = [r for r in demo_site.requests if r.path not in ("/robots.txt", "/sitemap.xml")]
    assert pages and all(r.status == 304 and r.conditional for r in pages), [
        (r.path, r.status) for r in pages if r.status != 304
    ]
    with Store.open(settings.db_path) as store:
        assert store.count_pages_to_ingest() == 0
        assert ingest_pending_pages(store).total == 0
        assert _versions(store) == versions


def test_changed_page_gives_exactly_one_new_version(
    settings: Settings, demo_site: DemoSite, sources_file: Path
) -> None:
    crawl(settings, sources_file)
    with Store.open(settings.db_path) as store:
        ingest_pending_pages(store)
        versions = _versions(store)
    path = demo_site.edit_article(
        "halland-ocd-team-barn-och-unga", "Tillägg: teamet öppnar även en mottagning i Kungsbacka."
    )

    report = crawl(settings, sources_file)

    assert report.total("changed") == 1 and report.total("new") == 0
    with Store.open(settings.db_path) as store:
        ingest = ingest_pending_pages(store)
        assert (ingest.new, ingest.changed) == (0, 1)
        assert _versions(store) == versions + 1
        text = store.conn.execute(
            "SELECT text FROM documents WHERE url = ?", (demo_site.url + path,)
        ).fetchone()[0]
        assert "Kungsbacka" in text


def test_removed_page_is_marked_removed_not_deleted(
    settings: Settings, demo_site: DemoSite, sources_file: Path
) -> None:
    crawl(settings, sources_file)
    with Store.open(settings.db_path) as store:
        ingest_pending_pages(store)
    path = demo_site.remove_article("gammal-pressinbjudan-borttagen")

    report = crawl(settings, sources_file)

    assert report.total("removed") == 1
    with Store.open(settings.db_path) as store:
        row = store.conn.execute(
            "SELECT removed_at, text FROM documents WHERE url = ?", (demo_site.url + path,)
        ).fetchone()
        assert row is not None and row["removed_at"] is not None and row["text"]


def test_failing_source_does_not_stop_the_others(
    settings: Settings, demo_site: DemoSite, tmp_path: Path, cli: CliRunner
) -> None:
    sources = tmp_path / "sources.toml"
    sources.write_text(_with_dead_source(demo_site.url), encoding="utf-8")

    result = cli(settings, "crawl", "--sources", str(sources))

    assert result.returncode == 0, result.stdout + result.stderr
    assert "dead-site" in result.stdout and "failed" in result.stdout
    report = CrawlReport.from_json(_last_run(settings)["crawl"])
    by_name = {s.name: s for s in report.sources}
    assert not by_name["dead-site"].ok and by_name["dead-site"].failed >= 1
    assert by_name["demo-press"].ok and by_name["demo-press"].new > 10

    only_dead = cli(settings, "crawl", "--sources", str(sources), "--source", "dead-site")
    assert only_dead.returncode == 1, "every source failed"


def test_bad_sources_file_is_a_usage_error(settings: Settings, tmp_path: Path, cli: CliRunner) -> None:
    sources = tmp_path / "bad.toml"
    sources.write_text('[[source]]\nname = "x-site"\nkind = "press_release"\nstart_urls = ["ftp://x"]\n')
    result = cli(settings, "crawl", "--sources", str(sources))
    assert result.returncode == 2
    assert "not an absolute http(s) URL" in result.stderr and "Traceback" not in result.stderr
    unknown = cli(settings, "crawl", "--source", "no-such-source")
    assert unknown.returncode == 2 and "no source named no-such-source" in unknown.stderr


def _with_dead_source(base_url: str) -> str:
    from crawler.demosite.sources import demo_sources_toml

    # Port 9 (discard) on loopback: connection refused, every request fails.
    return demo_sources_toml(base_url) + (
        '\n[[source]]\nname = "dead-site"\nkind = "press_release"\n'
        'start_urls = ["http://127.0.0.1:9/nyheter/"]\nallowed_domains = ["127.0.0.1"]\n'
    )


def _last_run(settings: Settings) -> dict[str, Any]:
    with Store.open(settings.db_path) as store:
        run = store.last_run("crawl")
    assert run is not None
    return run["report"]
