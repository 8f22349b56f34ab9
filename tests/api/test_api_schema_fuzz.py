"""Schemathesis against `/openapi.json`: generated requests never get a server error.

Every operation is called with requests generated from its schema (valid and invalid
values, odd Unicode, boundary lengths); the answers must not be 5xx and must match the
documented response schemas. One default check is left out: "schema-valid data must be
accepted". The API deliberately answers 422 to schema-valid but unknown values (a county
name that is no county, a focus slug the taxonomy lacks), as the issue asks. Examples per
operation are kept modest so this runs in about a minute on two cores.

Schemathesis' fixture-based loader does not work with pytest 9, so the schema is loaded
at import from an app whose state (settings, store, search service) is pointed at the
session's demo corpus by an autouse fixture before any case runs.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from api.app import create_app
from api.deps import ApiState
from regionsok.settings import Settings

pytestmark = pytest.mark.slow

_placeholder = Settings(data_dir=Path(tempfile.gettempdir()) / "regionsok-schema-placeholder")
app = create_app(_placeholder, warm=False)
schema = schemathesis.openapi.from_asgi("/openapi.json", app)


@pytest.fixture(autouse=True, scope="module")
def _serve_the_demo_corpus(api_settings: Settings) -> Iterator[None]:
    state = ApiState(api_settings)
    app.state.api = state
    yield
    state.close()


@schema.parametrize()
@settings(max_examples=50, deadline=None, database=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_gets_a_server_error(case: schemathesis.Case) -> None:
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
