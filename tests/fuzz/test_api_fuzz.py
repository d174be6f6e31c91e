"""Schemathesis against our own OpenAPI document, over real HTTP: no server errors, and
every response matches the schema it documents."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.live_server import live_server


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with live_server() as base:
        yield base


@pytest.mark.slow
def test_api_never_errors_and_matches_its_schema(server: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server}/schema/openapi.json")
    tested = []
    for result in schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None
        )
        def run(case) -> None:  # type: ignore[no-untyped-def]
            case.call_and_validate(checks=[not_a_server_error, response_schema_conformance])

        run()
        tested.append(operation.label)
    assert len(tested) >= 8, tested
