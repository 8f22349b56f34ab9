"""Response model of `/health`: is the service usable, and how fresh is it."""

from __future__ import annotations

from pydantic import BaseModel, Field


class NightlyRun(BaseModel):
    run_id: str
    started_at: str = Field(examples=["2026-11-23T02:00:00Z"])
    finished_at: str | None = None
    ok: bool | None = None


class HealthAnswer(BaseModel):
    status: str = Field(description="'ok', or 'degraded' while the index is missing.", examples=["ok"])
    documents: int = Field(examples=[120])
    chunks: int = Field(examples=[1400])
    index_version: str | None = Field(default=None, examples=["20261123T020000Z"])
    index: dict[str, str | int | float | bool | None] = Field(
        default_factory=dict, description="What the search service reports about its index."
    )
    last_nightly_run: NightlyRun | None = None
    worker_pid: int | None = Field(
        default=None, description="The server process that answered (`serve --workers N` runs N of them).",
        examples=[4242],
    )
