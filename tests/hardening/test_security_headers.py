"""Every response, page or API, error or not, carries the security headers."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regionsok.settings import Settings

PATHS = [
    "/", "/?q=v%C3%A5rd", "/regioner", "/personer", "/dokument/finns-inte", "/search?q=vård",
    "/search?q=" + "x" * 600, "/health", "/openapi.json", "/export/search.csv?q=vård",
    "/no/such/page", "/static/style.css",
]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    from api.app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("empty-data"))
    with TestClient(create_app(settings, warm=False), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize("path", PATHS)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    response = client.get(path)

    csp = response.headers["content-security-policy"]
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["default-src"] == ["'none'"]
    assert directives["script-src"] == ["'self'"]  # no inline script, no other origin
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'none'"]
    assert "'unsafe-inline'" not in csp and "*" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"


def test_templates_hold_no_inline_script_or_style_the_policy_would_block() -> None:
    templates = Path(__file__).resolve().parents[2] / "api" / "templates"
    for template in templates.glob("*.html"):
        html = template.read_text(encoding="utf-8").lower()
        assert "<script>" not in html and "<style" not in html and " style=" not in html, template.name
        assert " onclick=" not in html and "javascript:" not in html, template.name
