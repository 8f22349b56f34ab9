"""What a client sees when things go wrong, and a nightly index swap served without restart."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from regionsok.settings import Settings


def test_an_internal_error_answers_500_without_a_stack_trace(api_settings: Settings) -> None:
    from api.app import create_app

    app = create_app(api_settings, warm=False)

    def broken(request: object) -> object:
        raise RuntimeError("secret detail /etc/passwd")

    app.state.api.searcher.search = broken
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/search", params={"q": "vård"})
    assert answer.status_code == 500
    assert answer.json()["detail"] == "Internal error; see the server log."
    assert "secret" not in answer.text and "Traceback" not in answer.text


def test_without_an_index_search_is_503_and_health_degraded(tmp_path: Path, model_dir: Path) -> None:
    from api.app import create_app

    settings = Settings(data_dir=tmp_path / "empty", embedding_model=str(model_dir))
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        search = client.get("/search", params={"q": "vård"})
        assert search.status_code == 503
        assert "regionsok index" in search.json()["detail"]
        health = client.get("/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and health.json()["documents"] == 0
        assert client.get("/").status_code == 200


def _write_jsonl(path: Path, records: list[dict[str, str]]) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


@pytest.mark.slow
def test_a_new_index_generation_is_served_without_restart(tmp_path: Path, model_dir: Path) -> None:
    from api.app import create_app
    from ingest.pipeline import ingest_jsonl
    from regionsok.store import open_store
    from search.indexer import update_index

    settings = Settings(data_dir=tmp_path / "data", embedding_model=str(model_dir))
    first = {"id": "a", "url": "https://example.se/a", "title": "Ny vårdcentral i Ljungby",
             "text": "Region Kronoberg öppnar en ny vårdcentral i Ljungby i höst.", "published": "2024-01-02"}
    second = {"id": "b", "url": "https://example.se/b", "title": "Tandvård för unga i Växjö",
              "text": "Region Kronoberg erbjuder avgiftsfri tandvård till unga vuxna i Växjö.",
              "published": "2024-02-03"}
    with open_store(settings.db_path) as store:
        ingest_jsonl(store, _write_jsonl(tmp_path / "one.jsonl", [first]))
        update_index(store, settings)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        before = client.get("/search", params={"q": "tandvård"}).json()
        assert before["results"] == [] and before["total"] == 0  # nothing mentions it yet
        assert [r["doc_id"] for r in client.get("/search", params={"q": "vårdcentral"}).json()["results"]] == ["a"]
        version = client.get("/health").json()["index_version"]
        with open_store(settings.db_path) as store:  # what the nightly job does, while serving
            ingest_jsonl(store, _write_jsonl(tmp_path / "two.jsonl", [second]))
            update_index(store, settings)
        after = client.get("/search", params={"q": "tandvård"}).json()
        assert after["results"][0]["doc_id"] == "b"
        assert client.get("/health").json()["index_version"] != version


def test_a_server_warms_the_query_analysis_before_its_first_request(api_settings: Settings,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Startup loads what the first search would otherwise read (tests/search/test_query_warmup.py),
    and a serving process freezes its startup objects out of the garbage collector."""
    import gc

    import search.service
    from api.app import create_app

    calls: list[str] = []
    real = search.service.load_query_analysis
    monkeypatch.setattr(search.service, "load_query_analysis", lambda: (calls.append("warm"), real())[1])
    try:
        with TestClient(create_app(api_settings, serving=True), raise_server_exceptions=False) as client:
            assert calls == ["warm"]  # during startup, before any request
            assert gc.get_freeze_count() > 0
            assert client.get("/search", params={"q": "spelberoende"}).status_code == 200
    finally:
        gc.unfreeze()
    assert calls == ["warm"]
    with TestClient(create_app(api_settings, warm=False), raise_server_exceptions=False):
        assert calls == ["warm"]  # warm=False (tests, tools): nothing loaded at startup
