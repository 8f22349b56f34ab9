"""`/metrics`: each search's stages timed by the service, in Prometheus' text format."""

from __future__ import annotations

from fastapi.testclient import TestClient

from search.timings import STAGES, SearchTimings, parse_prometheus


def _counts(client: TestClient) -> dict[str, dict[str, float]]:
    answer = client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return parse_prometheus(answer.text)


def test_every_search_adds_one_timing_per_stage_and_a_repeated_query_reuses_its_vector(client: TestClient) -> None:
    before = _counts(client)
    query = "stöd till anhöriga vid spelberoende i länet"
    for page in (1, 2):  # the second page asks with the same query: its vector comes from the cache
        assert client.get("/search", params={"q": query, "k": 2, "page": page}).status_code == 200
    after = _counts(client)
    for stage in (*STAGES, "total"):
        assert after[stage]["count"] - before.get(stage, {}).get("count", 0) == 2, stage
        assert after[stage]["seconds"] >= before.get(stage, {}).get("seconds", 0)
    text = client.get("/metrics").text
    hits = float(text.split('regionsok_query_vector_cache_total{result="hit"} ')[1].split()[0])
    assert hits >= 1


def test_the_histogram_counts_each_timing_once_in_the_right_bucket() -> None:
    timings = SearchTimings()
    for seconds in (0.0004, 0.003, 0.003, 20.0):
        timings.add("embed", seconds)
    text = timings.prometheus()
    assert 'regionsok_search_stage_seconds_bucket{stage="embed",le="0.001"} 1' in text
    assert 'regionsok_search_stage_seconds_bucket{stage="embed",le="0.005"} 3' in text
    assert 'regionsok_search_stage_seconds_bucket{stage="embed",le="10.0"} 3' in text
    assert 'regionsok_search_stage_seconds_bucket{stage="embed",le="+Inf"} 4' in text
    assert parse_prometheus(text)["embed"] == {"count": 4, "seconds": 20.0064}
