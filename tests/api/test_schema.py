"""Schemathesis over the OpenAPI document: generated requests (bounded: 20 examples per operation) never get a
5xx, and every response matches its documented status codes, content type and schema.

Each generated request carries a fresh administrator token (so that logging out in one case does not affect
the next); the administrator reaches every resource, and the use cases refuse what the state does not allow.
The operations are driven one after the other from the schema's own strategies, and every failure is
collected before the test reports them together.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import Session
from tests.api.scenario import PASSWORD

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 20


def test_generated_requests_get_no_server_error_and_match_the_schema(shared: Session) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", shared.client.app)
    failures: dict[str, str] = {}
    operations = 0

    def token() -> str:
        reply = shared.client.post("/api/auth/token", json={"user_id": "admin1", "password": PASSWORD})
        return str(reply.json()["access_token"])

    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers={"Authorization": f"Bearer {token()}"}, checks=CHECKS)

        try:
            run()
        except Exception as failure:  # every operation is tried; the failures are reported together
            failures[operation.label] = str(failure)[:2000]
    assert operations >= 60
    assert not failures, "\n\n".join(f"{label}:\n{text}" for label, text in failures.items())
