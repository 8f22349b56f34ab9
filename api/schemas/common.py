"""The error body every endpoint answers with on 4xx/5xx: a message, never a stack trace."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One invalid parameter and why."""

    field: str = Field(examples=["k"])
    message: str = Field(examples=["Input should be less than or equal to 100"])


class ErrorBody(BaseModel):
    """What went wrong, in words a user can act on."""

    detail: str = Field(examples=["k: Input should be less than or equal to 100"])
    errors: list[FieldError] = Field(default_factory=list)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorBody, "description": "A parameter is missing, too long, or has an unknown value."},
    500: {"model": ErrorBody, "description": "An internal error (details are only in the server log)."},
    503: {"model": ErrorBody, "description": "The index is not built yet or is being replaced."},
}
