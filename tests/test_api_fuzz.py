"""The JSON API fuzzed from its own OpenAPI document (schemathesis): no input makes it fail with a
5xx, and nothing it stores is garbage."""

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from openboard.cli._context import Context
from openboard.domain import ModelId, Role

from .test_security import Site
from .web_helpers import add_user


def test_no_input_makes_the_api_fail(context: Context) -> None:
    site = Site(context)
    token = add_user(context.store, "fuzz-admin", Role.ADMIN)
    schema = schemathesis.openapi.from_asgi("/openapi.json", site.app)
    fuzzed = []
    for result in schema.get_all_operations():
        operation = result.ok()
        fuzzed.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        # derandomize: the same examples every run, so CI is reproducible; the seed is the code.
        @settings(max_examples=40, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case: Any) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, (case.method, case.formatted_path, response.text)

        check()
    assert {"POST /api/submissions", "POST /api/admin/actions", "GET /api/leaderboard"} <= set(
        fuzzed
    )
    # Whatever was accepted is well formed.
    for request in context.store.list_requests():
        assert str(ModelId.parse(request.model)) == request.model
        assert len(request.revision) == 40
