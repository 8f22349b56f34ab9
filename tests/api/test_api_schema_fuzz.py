"""Schemathesis against `/openapi.json`, every check: the schema tells the truth.

Every operation is called with requests generated from its schema (its examples, boundary
values, valid and invalid values, odd Unicode) and every check runs: no 5xx, responses as
documented, schema-valid requests accepted (so the schema's enums of counties, slugs and
kinds and its patterns say exactly what the API takes, and its examples are valid on any
data set) and schema-violating requests refused. Examples per operation are kept modest
so this runs in about a minute on two cores.

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
    case.call_and_validate()
