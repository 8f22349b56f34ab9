"""`GET /metrics`: how long each stage of a search takes, in Prometheus' text format.

Per stage (embed, vector, keyword, fuse, facets, fetch, and the whole search): a latency
histogram, its sum and its count since the process started; and how often a query's vector
came from the cache. With ``serve --workers N`` each worker answers for itself.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from api.deps import SearcherDep

router = APIRouter(tags=["health"])

PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8"
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/plain": {"schema": {"type": "string"}}},
          "description": "Prometheus text exposition format 0.0.4."},
}


@router.get("/metrics", response_class=PlainTextResponse, responses=RESPONSES)
def metrics(searcher: SearcherDep) -> PlainTextResponse:
    """Search latency per stage (histograms) and the query-vector cache, for Prometheus."""
    return PlainTextResponse(searcher.metrics(), media_type=PROMETHEUS_TEXT)
