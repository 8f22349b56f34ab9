"""Headless Chromium (Debian's /usr/bin/chromium, driven by Playwright) against a live server:
type a query, see results, click a facet, open a person. No browser is ever downloaded."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def page(web_server: str) -> Iterator[object]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("Chromium is not installed at /usr/bin/chromium (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM if CHROMIUM.exists() else shutil.which("chromium")),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
        )
        try:
            context = browser.new_context(base_url=web_server)
            tab = context.new_page()
            tab.set_default_timeout(30_000)
            yield tab
        finally:
            browser.close()


def test_search_facet_and_person_in_a_browser(page: object) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "sv")
    page.fill("#q", "spelberoende")
    page.press("#q", "Enter")

    hits = page.locator("li.hit")
    expect(hits.first).to_be_visible()
    assert hits.count() >= 3
    expect(page.locator("li.hit h3 a", has_text="Ny satsning mot spelberoende bland unga i Skåne")).to_be_visible()

    page.locator('section[data-facet="county"] a.facet-link[data-value="07"]').click()
    page.wait_for_url("**county=07**")
    expect(page.locator('a.facet-link.active[data-value="07"]')).to_be_visible()
    titles = page.locator("li.hit h3 a").all_inner_texts()
    assert titles and all("Skåne" not in t for t in titles)
    assert any("Kronoberg" in t or "spelberoende" in t for t in titles)

    page.goto("/?q=Torbjörn Holmqvist")
    page.locator("a.person-link", has_text="Torbjörn Holmqvist").first.click()
    page.wait_for_url("**/personer?name=**")
    person = page.locator("section.person").first
    expect(person.locator(".person-name")).to_have_text("Torbjörn Holmqvist")
    expect(person.locator(".parties")).to_have_text("S")
    expect(person.locator(".person-docs li")).to_have_count(2)
