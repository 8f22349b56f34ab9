"""`GET /export/search.csv` and `/export/search.jsonl`: a search's results for researchers.

The same parameters as `/search`; ``limit`` (up to 1000) replaces paging, fetched from the
service 100 at a time. CSV cells holding lists are joined with "; " so a spreadsheet shows
them in one cell; a cell that would start a formula is quoted (``regionsok.csvcells``);
JSONL keeps lists as arrays.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from api.deps import SearcherDep, StoreDep
from api.filters import MAX_K, SearchParams, search_params
from api.routes.search import result_of
from api.schemas.common import ERROR_RESPONSES
from api.schemas.search import SearchResult
from regionsok.csvcells import csv_row

router = APIRouter(prefix="/export", tags=["export"])

MAX_EXPORT = 1000
COLUMNS = (
    "doc_id", "url", "title", "kind", "published", "language", "counties", "organisations",
    "people", "focus_areas", "score", "snippet",
)

ParamsDep = Annotated[SearchParams, Depends(search_params)]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_EXPORT, description="At most this many results.")]


def collect(searcher: SearcherDep, store: StoreDep, params: SearchParams, limit: int) -> list[SearchResult]:
    """Up to ``limit`` results of the search, in rank order."""
    params = params.resolved(store)
    results: list[SearchResult] = []
    while len(results) < limit and not params.nothing_can_match():
        size = min(MAX_K, limit - len(results))
        response = searcher.search(params.to_request(k=size, offset=len(results)))
        results.extend(result_of(hit) for hit in response.hits)
        if len(response.hits) < size or len(results) >= response.total:
            break
    return results[:limit]


def _filename(params: SearchParams, ext: str) -> str:
    slug = "".join(ch if ch.isalnum() else "-" for ch in params.q.lower())[:40].strip("-") or "search"
    return f"regionsok-{slug.encode('ascii', 'ignore').decode() or 'search'}.{ext}"


CSV_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {"schema": {"type": "string"}}}, "description": "CSV with a header row."},
    **ERROR_RESPONSES,
}
JSONL_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}}, "description": "One JSON object a line."},
    **ERROR_RESPONSES,
}


@router.get("/search.csv", response_class=Response, responses=CSV_RESPONSES)
def export_csv(searcher: SearcherDep, store: StoreDep, params: ParamsDep, limit: LimitQuery = 100) -> Response:
    """A search's results as CSV (UTF-8 with BOM, so Excel reads å/ä/ö)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    for result in collect(searcher, store, params, limit):
        row = result.model_dump()
        writer.writerow(csv_row(row[c] for c in COLUMNS))
    return Response(
        content="\ufeff" + buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{_filename(params, "csv")}"'},
    )


@router.get("/search.jsonl", response_class=Response, responses=JSONL_RESPONSES)
def export_jsonl(searcher: SearcherDep, store: StoreDep, params: ParamsDep, limit: LimitQuery = 100) -> Response:
    """A search's results as JSON Lines, one result object a line."""
    lines = [json.dumps(r.model_dump(), ensure_ascii=False) for r in collect(searcher, store, params, limit)]
    return Response(
        content="".join(line + "\n" for line in lines),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": f'attachment; filename="{_filename(params, "jsonl")}"'},
    )


#: The README's and users' names for the same exports: `GET /search.csv` beside `/search` reads
#: as "this search, as CSV". Both paths stay: other tools already call `/export/…`.
aliases = APIRouter(tags=["export"])
aliases.add_api_route("/search.csv", export_csv, methods=["GET"], response_class=Response,
                      responses=CSV_RESPONSES, summary="Export Csv (the same as /export/search.csv)",
                      operation_id="export_csv_alias")
aliases.add_api_route("/search.jsonl", export_jsonl, methods=["GET"], response_class=Response,
                      responses=JSONL_RESPONSES, summary="Export Jsonl (the same as /export/search.jsonl)",
                      operation_id="export_jsonl_alias")

