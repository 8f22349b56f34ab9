"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a live server.

One walk a reader takes — search, two county facets, a document with its marked passage,
back, the regions map, a county, a person, the Atom feed — at a desktop size and a phone
size, with axe-core (node_modules/axe-core, installed by `make setup`) checking each page
type for serious and critical violations. No browser is ever downloaded.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
SIZES = {"desktop": (1366, 900), "phone": (390, 844)}


@pytest.fixture(scope="module")
def browser(web_server: str) -> Iterator[Any]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed at /usr/bin/chromium (Debian package `chromium`; `make setup`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            headless=True, args=CHROMIUM_ARGS,
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(params=list(SIZES))
def page(request: pytest.FixtureRequest, browser: Any, web_server: str) -> Iterator[Any]:
    width, height = SIZES[request.param]
    # bypass_csp only lets the test inject axe-core; the pages' own script is a file under /static.
    context = browser.new_context(base_url=web_server, viewport={"width": width, "height": height}, bypass_csp=True)
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    try:
        yield tab
    finally:
        context.close()


def _axe_serious(page: Any) -> list[str]:
    if not AXE.exists():
        pytest.fail(f"axe-core is missing at {AXE}: run `make setup` (npm ci)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [f"{v['id']}: {v['help']} ({len(v['nodes'])})" for v in result["violations"]
            if v["impact"] in ("serious", "critical")]


def _open_facets(page: Any) -> None:
    box = page.locator("#facet-box")
    if box.get_attribute("open") is None:
        page.locator("#facet-box summary").click()


def test_a_reader_walks_search_document_regions_person_and_feed(page: Any) -> None:
    from playwright.sync_api import expect

    phone = page.viewport_size["width"] < 500
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.get_by_label("Sökord").fill("spelberoende")
    page.press("#q", "Enter")
    hits = page.locator("li.hit")
    expect(hits.first).to_be_visible()
    assert hits.count() >= 3

    # On a phone the filters start folded and the first result is on the first screen.
    if phone:
        expect(page.locator("#facet-box")).not_to_have_attribute("open", "")
        assert hits.first.bounding_box()["y"] < 844
    assert _axe_serious(page) == []

    _open_facets(page)
    page.locator('section[data-facet="county"] a.facet-link[data-value="05"]').click()
    page.wait_for_url("**county=05**")
    _open_facets(page)
    page.locator('section[data-facet="county"] a.facet-link[data-value="07"]').click()
    page.wait_for_url("**county=07**")
    assert "county=05" in page.url
    expect(page.locator("a.facet-link.active")).to_have_count(2)
    titles = page.locator("li.hit h2 a").all_inner_texts()
    assert titles and all("Skåne" not in t for t in titles)

    page.locator("#sort-date").click()  # the same results, newest first
    page.wait_for_url("**sort=date**")
    assert "county=05" in page.url and "county=07" in page.url
    dates = page.locator("li.hit .date").all_inner_texts()
    assert sorted(page.locator("li.hit h2 a").all_inner_texts()) == sorted(titles)
    assert dates == sorted(dates, reverse=True)
    results_url = page.url

    page.locator("li.hit h2 a").first.click()
    page.wait_for_url("**/dokument/**")
    mark = page.locator(".document .text mark").first
    expect(mark).to_be_visible()
    expect(mark).to_be_in_viewport()
    expect(page.locator("h1.doc-title")).to_have_count(1)
    assert _axe_serious(page) == []
    page.locator("#back-link").click()
    page.wait_for_url(results_url)

    page.goto("/regioner?q=spelberoende")
    expect(page.locator("#regions-table")).to_be_attached()
    assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]
    assert _axe_serious(page) == []
    page.locator('#county-map a[data-county="05"]').click()
    page.wait_for_url("**county=05**")
    expect(page.locator('a.facet-link.active[data-value="05"]')).to_have_count(1)

    page.goto("/?q=Torbjörn Holmqvist")
    page.locator("a.person-link", has_text="Torbjörn Holmqvist").first.click()
    page.wait_for_url("**/personer?name=**")
    person = page.locator("section.person").first
    expect(person.locator(".person-name")).to_have_text("Torbjörn Holmqvist")
    expect(person.locator(".parties")).to_have_text("S")
    expect(person.locator(".person-docs > li")).to_have_count(2)
    assert _axe_serious(page) == []

    page.goto(results_url)
    feed = page.request.get(page.locator("#feed-link").get_attribute("href"))
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.body())
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findall("{http://www.w3.org/2005/Atom}entry")


def test_language_switch_sticks_across_pages(page: Any) -> None:
    from playwright.sync_api import expect

    page.goto("/?q=spelberoende")
    page.locator("#lang-switch").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.locator("#nav-regions").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator("h1")).to_have_text("Which regions")
