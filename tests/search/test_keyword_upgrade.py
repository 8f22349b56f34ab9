"""An index written before the keyword index existed: a clear error, and `index` adds it without re-embedding."""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from regionsok.errors import IndexError_
from regionsok.settings import Settings
from regionsok.store import Store
from search.indexer import current_generation, update_index
from search.service import SearchRequest, SearchService


def test_an_older_generation_is_upgraded_by_one_index_run_without_embedding(
    own_seed_settings: Settings, embedder: Any
) -> None:
    settings = own_seed_settings
    before = [h.doc_id for h in SearchService(settings, embedder=embedder).search(SearchRequest(query="spelberoende")).hits]
    generation = current_generation(settings.index_dir)
    assert generation is not None
    shutil.rmtree(generation.path / "keyword")  # as an older Regionsök wrote it

    with pytest.raises(IndexError_, match="regionsok index"):
        SearchService(settings, embedder=embedder)
    with Store.open(settings.db_path) as store:
        report = update_index(store, settings, embedder=embedder)
    assert report.chunks_embedded == 0 and report.keyword_added == report.keyword_rows > 0
    assert report.index_version == generation.version + 1
    after = [h.doc_id for h in SearchService(settings, embedder=embedder).search(SearchRequest(query="spelberoende")).hits]
    assert after == before
