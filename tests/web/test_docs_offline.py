"""The API docs and every page work with the network off: nothing is loaded from another host."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient

REPO = Path(__file__).resolve().parents[2]
#: Where a page pulls a resource from: scripts, styles, images, frames, fonts (links to a
#: document's source are content, not resources, and may point anywhere).
_RESOURCE = re.compile(r"""<(?:script|img|iframe)[^>]*\bsrc=["']([^"']+)|<link[^>]*\bhref=["']([^"']+)|url\(["']?([^"')]+)""",
                       re.IGNORECASE)


def _resources(html: str) -> list[str]:
    return [next(g for g in match.groups() if g) for match in _RESOURCE.finditer(html)]


@pytest.mark.parametrize("path", ["/", "/?q=spelberoende", "/regioner?q=gambling+addiction",
                                  "/personer?name=Torbj%C3%B6rn+Holmqvist", "/docs", "/redoc"])
def test_no_page_loads_anything_from_another_host(web_client: TestClient, path: str) -> None:
    page = web_client.get(path)
    assert page.status_code == 200
    resources = _resources(page.text)
    assert resources, "the page should at least load its stylesheet"
    for url in resources:
        assert not urlsplit(url).netloc, f"{path} loads {url} from another host"
        if url.startswith("/"):
            assert web_client.get(url).status_code == 200, url


def test_the_docs_page_serves_swagger_ui_itself(web_client: TestClient) -> None:
    page = web_client.get("/docs").text
    assert "swagger-ui-bundle.js" in page and "cdn" not in page.lower()
    for asset in ("swagger-ui-bundle.js", "redoc.standalone.js"):
        answer = web_client.get(f"/docs-assets/{asset}")
        assert answer.status_code == 200
        assert answer.headers["content-type"].startswith(("application/javascript", "text/javascript"))


def test_every_endpoint_the_readme_names_exists(web_client: TestClient) -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    named = {path.split("?")[0] for path in re.findall(r"`GET (/[^`\s]*)", readme)}
    paths = set(web_client.get("/openapi.json").json()["paths"])
    assert {"/search", "/regions", "/people", "/search.csv", "/search.jsonl"} <= named
    for path in named:
        assert path in paths, f"the README names GET {path}, which the API does not have"


@pytest.mark.browser
@pytest.mark.slow
def test_docs_render_in_chromium_with_the_network_off(web_server: str) -> None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        pytest.fail("Chromium is not installed at /usr/bin/chromium (Debian package `chromium`)")
    from playwright.sync_api import sync_playwright

    elsewhere: list[str] = []
    server = urlsplit(web_server).netloc
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, headless=True,
                                             args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                                                   "--disable-background-networking"])
        try:
            page = browser.new_page()

            def only_this_server(route: object) -> None:
                request = route.request  # type: ignore[attr-defined]
                if urlsplit(request.url).netloc == server:
                    route.continue_()  # type: ignore[attr-defined]
                else:  # the network is "off": anything else fails, and is recorded
                    elsewhere.append(request.url)
                    route.abort()  # type: ignore[attr-defined]

            page.route("**/*", only_this_server)
            page.goto(f"{web_server}/docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
            assert "Regionsök" in page.inner_text(".swagger-ui .info .title")
            assert page.locator(".opblock-summary-path", has_text="/search").count() >= 1
            page.goto(f"{web_server}/redoc")
            page.wait_for_selector("h1", timeout=60_000)
            page.wait_for_load_state("networkidle")
            assert "Regionsök" in page.inner_text("h1")
        finally:
            browser.close()
    assert elsewhere == []
