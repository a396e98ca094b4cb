"""The JSON API fuzzed from its own OpenAPI document (schemathesis): no input makes it fail with a
5xx, and nothing it stores is garbage."""

from typing import Any
from urllib.parse import quote

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


# Values that generated examples from the schema rarely hold, and that crashed the API before:
# non-finite and overflowing numbers, NUL bytes, very long numbers, and bodies nested a thousand deep.
HOSTILE_VALUES = ("inf", "-inf", "nan", "1e309", "9" * 400, "a\x00b", "\x00", "%00", "-1")
HOSTILE_BODIES = (
    b"[" * 1000,
    b'{"a":' * 1000,
    b'{"model": "a\\u0000b/c", "model_type": "pretrained"}',
    b'{"model": "org/good", "model_type": "pretrained", "precision": 1e309}',
    b'{"action": "flag", "model": "org/good", "reason": "\\u0000", "link": "https://e.org/\\u0000"}',
    b"\x00",
)


def test_hostile_values_in_every_parameter_and_body_never_fail_the_api(context: Context) -> None:
    site = Site(context)
    token = add_user(context.store, "fuzz-admin", Role.ADMIN)
    http = site.client("root", True)
    http.headers["Authorization"] = f"Bearer {token}"
    tried = 0
    for template, operations in site.app.openapi()["paths"].items():
        for method, operation in operations.items():
            params = operation.get("parameters", [])
            path_names = [p["name"] for p in params if p["in"] == "path"]
            base = _fill(template, dict.fromkeys(path_names, ""))
            for param in params:
                for value in HOSTILE_VALUES:
                    if param["in"] == "path":
                        url = _fill(
                            template, {n: value if n == param["name"] else "" for n in path_names}
                        )
                        answer = http.request(method.upper(), url)
                    elif param["in"] == "query":
                        answer = http.request(method.upper(), base, params={param["name"]: value})
                    else:
                        continue
                    tried += 1
                    assert answer.status_code < 500, (method, template, param["name"], repr(value))
            if "requestBody" in operation:
                for body in HOSTILE_BODIES:
                    answer = http.request(method.upper(), base, content=body,
                                          headers={"content-type": "application/json"})  # fmt: skip
                    tried += 1
                    assert answer.status_code < 500, (method, template, body[:40])
    assert tried > 200


def _fill(template: str, values: dict[str, str]) -> str:
    """The path with each parameter filled in: the hostile value, or a real one (org/good, #1)."""
    real = {"org": "org", "name": "good", "request_id": "1", "sender": "alice"}
    path = template
    for name in values:
        path = path.replace("{" + name + "}", quote(values[name] or real.get(name, "1"), safe=""))
    return path


def test_nul_bytes_in_free_text_and_pins_are_refused_naming_the_field(context: Context) -> None:
    """SQLite stores NUL, PostgreSQL refuses it with a 500: refused at the edge on both."""
    site = Site(context)
    token = add_user(context.store, "nul-admin", Role.ADMIN)
    http = site.client("root", True)
    http.headers["Authorization"] = f"Bearer {token}"
    flag = {"action": "flag", "model": "org/good", "reason": "spam\x00"}
    answer = http.post("/api/admin/actions", json=flag)
    assert answer.status_code == 400 and "control characters" in answer.text
    flag = {"action": "flag", "model": "org/good", "reason": "spam", "link": "https://e.org/\x00"}
    assert http.post("/api/admin/actions", json=flag).status_code == 400
    answer = http.get("/api/leaderboard", params={"pin": "a\x00b"})
    assert answer.status_code == 400 and "pin=" in answer.text
    assert not any(
        f.model == "org/good" and "spam" in f.reason for f in context.store.moderation.flags()
    )
