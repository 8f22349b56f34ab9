"""`GET /health`: documents, chunks, index version and the last nightly run."""

from __future__ import annotations

import os

from fastapi import APIRouter

from api.deps import SearcherDep, StoreDep
from api.schemas.common import ERROR_RESPONSES
from api.schemas.health import HealthAnswer, NightlyRun

router = APIRouter(tags=["health"])

_Scalar = str | int | float | bool | None


def _scalar(value: object) -> _Scalar:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


@router.get("/health", response_model=HealthAnswer, responses=ERROR_RESPONSES)
def health(store: StoreDep, searcher: SearcherDep) -> HealthAnswer:
    """Whether search works, how much is indexed, and when the nightly job last ran."""
    index = {key: _scalar(value) for key, value in searcher.health().items()}
    run = store.last_run("nightly")
    ready = index.get("ready", True) is not False
    version = index.get("index_version")
    # A ready service has just counted them; without one, ask the store.
    documents, chunks = index.get("documents"), index.get("chunks")
    if not (ready and isinstance(documents, int) and isinstance(chunks, int)):
        documents, chunks = store.live_document_count(), store.chunk_count()
    return HealthAnswer(
        status="ok" if ready else "degraded",
        documents=documents,
        chunks=chunks,
        index_version=str(version) if version is not None else None,
        index=index,
        last_nightly_run=NightlyRun(
            run_id=str(run["run_id"]), started_at=str(run["started_at"]),
            finished_at=run.get("finished_at"), ok=run.get("ok"),
        ) if run is not None else None,
        worker_pid=os.getpid(),
    )
