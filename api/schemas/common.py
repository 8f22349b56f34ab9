"""The error body every endpoint answers with on 4xx/5xx (a message, never a stack trace), and notices.

A request the schema allows is never refused: a value that only this data set lacks (an
organisation or person no document names, a date range that is empty) gets a 200 with no
results and a :class:`Notice` saying why, so a client can tell "nothing matches" from "you
asked wrongly" (422, for values the schema itself rules out).
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    """One invalid parameter and why."""

    field: str = Field(examples=["k"])
    message: str = Field(examples=["Input should be less than or equal to 100"])


class Notice(BaseModel):
    """Why an answer is empty although the request was valid: a filter value no document has."""

    parameter: str = Field(examples=["person"])
    value: str = Field(examples=["Zzyzx Qwerty"])
    message: str = Field(examples=["person: nobody named 'Zzyzx Qwerty' in the documents; try /people?name=…"])


class ErrorBody(BaseModel):
    """What went wrong, in words a user can act on."""

    detail: str = Field(examples=["k: Input should be less than or equal to 100"])
    errors: list[FieldError] = Field(default_factory=list)


ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    422: {"model": ErrorBody, "description": "A parameter is missing, too long, or has a value the schema rules out."},
    500: {"model": ErrorBody, "description": "An internal error (details are only in the server log)."},
    503: {"model": ErrorBody, "description": "The index is not built yet or is being replaced."},
}
