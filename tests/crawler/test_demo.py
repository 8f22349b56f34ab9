"""`regionsok demo` (what `make demo` runs) builds a searchable store from the served demo site."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from regionsok.settings import Settings
from search.service import SearchRequest, SearchService

CliRunner = Callable[..., Any]


@pytest.mark.slow
def test_demo_crawls_ingests_and_indexes_the_demo_site(tmp_path: Path, model_dir: Path, cli: CliRunner) -> None:
    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(model_dir))

    result = cli(settings, "demo", "--no-serve")

    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo-press" in result.stdout and "chunks indexed" in result.stdout
    hits = SearchService(settings).search(SearchRequest(query="överenskommelse om spelberoende", k=5)).hits
    assert any("spelberoende" in hit.url for hit in hits)


def test_demo_site_serves_on_the_address_it_is_given() -> None:
    # bench/cluster.py serves it on another network-namespace host's address; links and the
    # sitemap it hands out must name that address, or crawlers elsewhere would follow loopback.
    import urllib.request

    from crawler.demosite import DemoSite

    with DemoSite(host="127.0.0.2") as site:
        assert site.url.startswith("http://127.0.0.2:")
        with urllib.request.urlopen(site.url + "/robots.txt", timeout=10) as answer:
            robots = answer.read().decode()
    assert f"Sitemap: {site.url}/sitemap.xml" in robots
