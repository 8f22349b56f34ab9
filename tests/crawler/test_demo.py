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
