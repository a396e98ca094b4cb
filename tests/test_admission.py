"""Blocklist, duplicates and the rate limit: checked in the transaction that queues, so races cannot pass."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import Precision, SubmissionRequest
from openboard.evaluation import SUITES
from openboard.store import Admission, RateLimitError
from openboard.submission import SubmissionService
from openboard.validation import ValidationPolicy
from openboard.web import create_app

from .test_store import new_request
from .web_helpers import add_user, csrf, sign_in

T0 = datetime(2026, 11, 28, 12, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def service(context: Context, clock: Clock, **policy: object) -> SubmissionService:
    return SubmissionService(context.source, context.store, ValidationPolicy(**policy),  # type: ignore[arg-type]
                             clock, "starter")  # fmt: skip


def ask(model: str, precision: str = "bfloat16") -> SubmissionRequest:
    return SubmissionRequest.model_validate(
        {"model": model, "model_type": "pretrained", "sender": "t", "precision": precision}
    )


def checks(outcome_findings: list[object]) -> list[str]:
    return [f.check for f in outcome_findings if f.severity == "error"]  # type: ignore[attr-defined]


def test_rate_limit_per_namespace_with_official_providers_exempt(context: Context) -> None:
    clock = Clock()
    limited = service(context, clock, rate_limit_count=2, rate_limit_days=7)
    assert limited.submit(ask("demo/tiny", "bfloat16")).accepted
    clock.now += timedelta(hours=1)
    assert limited.submit(ask("demo/tiny", "float16")).accepted
    clock.now += timedelta(hours=1)
    dry = limited.check(ask("demo/plain"))
    assert checks(dry.findings) == ["rate_limit"]
    refused = limited.submit(ask("demo/plain"))
    assert not refused.accepted and checks(refused.verdict.findings) == ["rate_limit"]
    message = refused.verdict.errors[0]
    assert "'demo'" in message.message and "2026-12-05 12:00" in message.hint  # oldest + 7 days
    official = service(context, clock, rate_limit_count=2, official_providers=frozenset({"Demo"}))
    assert official.submit(ask("demo/plain")).accepted
    # Sliding window: at T0 + 7 days + 61 min only the official submission (T0 + 2 h) is in it.
    clock.now = T0 + timedelta(days=7, hours=1, minutes=1)
    assert limited.submit(ask("demo/tiny", "8bit")).accepted


def test_blocklist_refuses_ids_and_namespaces_with_the_reason(context: Context) -> None:
    clock = Clock()
    submissions = service(context, clock)
    context.store.moderation.block(
        "demo/tiny", "the authors asked not to be evaluated", "admin", T0
    )
    refused = submissions.submit(ask("demo/tiny"))
    assert checks(refused.verdict.findings) == ["blocklist"]
    assert "the authors asked" in refused.verdict.errors[0].message
    assert submissions.submit(ask("demo/plain")).accepted
    context.store.moderation.block("demo/*", "whole namespace", "admin", T0)
    assert "demo/*" in submissions.check(ask("demo/plain", "float16")).errors[0].message
    assert context.store.moderation.unblock(
        "demo/*", "admin", T0
    ) and context.store.moderation.unblock("demo/tiny", "admin", T0)
    assert submissions.submit(ask("demo/tiny")).accepted
    kinds = [e.kind for e in context.store.events_for(None)]  # type: ignore[arg-type]
    assert kinds.count("blocked") == 2 and kinds.count("unblocked") == 2


def test_concurrent_submissions_cannot_exceed_the_rate_limit(context: Context) -> None:
    """Twelve threads race to queue twelve distinct models of one namespace; the limit is 3."""
    store = context.store
    admission = Admission(limit=3, window_start=T0 - timedelta(days=7), window_days=7)
    barrier = threading.Barrier(12)
    outcomes: list[str] = []

    def submit(i: int) -> None:
        barrier.wait()
        try:
            store.add_request(new_request(model=f"race/m{i}", at=T0), "t", admission)
            outcomes.append("queued")
        except RateLimitError:
            outcomes.append("rate_limit")

    threads = [threading.Thread(target=submit, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["queued"] * 3 + ["rate_limit"] * 9
    assert len(store.list_requests()) == 3


def test_concurrent_duplicates_queue_exactly_one(context: Context) -> None:
    store = context.store
    barrier = threading.Barrier(8)
    errors: list[str] = []

    def submit() -> None:
        barrier.wait()
        try:
            store.add_request(new_request(model="org/same", precision=Precision.FLOAT16), "t")
        except Exception as exc:  # noqa: BLE001 - the test asserts on the kind
            errors.append(type(exc).__name__)

    threads = [threading.Thread(target=submit) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["DuplicateRequestError"] * 7
    assert len(store.list_requests()) == 1


def test_blocklist_cli(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    added = runner.invoke(
        app, ["blocklist", "add", "demo/*", "--reason", "asked by the authors"], env=cli_env
    )
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["blocklist", "list", "--json"], env=cli_env)
    assert '"pattern": "demo/*"' in listed.output and "asked by the authors" in listed.output
    refused = runner.invoke(
        app, ["validate", "demo/tiny", "--model-type", "pretrained", "--json"], env=cli_env
    )
    assert refused.exit_code == 1 and '"check": "blocklist"' in refused.output
    bad = runner.invoke(app, ["blocklist", "add", "../x", "--reason", "r"], env=cli_env)
    assert bad.exit_code == 1 and "not allowed" in bad.output
    removed = runner.invoke(app, ["blocklist", "remove", "demo/*"], env=cli_env)
    assert removed.exit_code == 0
    assert runner.invoke(app, ["blocklist", "remove", "demo/*"], env=cli_env).exit_code == 1


@pytest.fixture
def api(context: Context) -> TestClient:
    """The app with alice signed in (session cookie) and her API token on every request."""
    token = add_user(context.store, "alice")
    http = TestClient(create_app(context.store, SUITES, submissions=service(context, Clock())))
    sign_in(http, "alice")
    http.headers["Authorization"] = f"Bearer {token}"
    return http


@pytest.fixture
def browser(api: TestClient) -> TestClient:
    """The same client without the token: the session cookie alone, as a web browser."""
    del api.headers["Authorization"]
    return api


def test_api_validate_is_a_dry_run(api: TestClient, context: Context) -> None:
    body = {"model": "demo/tiny", "model_type": "pretrained", "sender": "alice"}
    answer = api.post("/api/validate", json=body)
    assert answer.status_code == 200 and answer.json()["accepted"] is True
    assert "size" in answer.json()["checked"] and answer.json()["params"] > 0
    assert context.store.list_requests() == []


def test_api_submissions_queue_then_refuse_duplicates(api: TestClient, context: Context) -> None:
    body = {"model": "demo/tiny", "model_type": "chat", "sender": "alice"}
    created = api.post("/api/submissions", json=body)
    assert created.status_code == 201, created.text
    queued = context.store.get_request(created.json()["request_id"])
    assert queued is not None and queued.use_chat_template is True  # ticked for chat models
    assert len(queued.revision) == 40 and queued.license == "apache-2.0"
    again = api.post("/api/submissions", json=body)
    assert again.status_code == 422
    assert [f["check"] for f in again.json()["findings"] if f["severity"] == "error"] == [
        "duplicate"
    ]


@pytest.mark.parametrize(
    ("body", "check", "status"),
    [
        (b"not json", "request", 400),  # not JSON at all: a bad request
        (b"[1, 2]", "request", 422),  # JSON, but not a submission
        (b'{"model": "../etc", "model_type": "pretrained", "sender": "a"}', "model_id", 422),
        (b'{"model": "a/b", "sender": "a"}', "model_type", 422),
    ],
)
def test_api_refuses_malformed_bodies_naming_the_field(
    api: TestClient, body: bytes, check: str, status: int
) -> None:
    answer = api.post("/api/validate", content=body, headers={"content-type": "application/json"})
    assert answer.status_code == status
    assert [f["check"] for f in answer.json()["findings"]] == [check]


def test_submit_form_checks_then_submits(browser: TestClient, context: Context) -> None:
    page = browser.get("/submit")
    assert page.status_code == 200
    for field in ("model", "revision", "precision", "weight_type", "base_model", "model_type",
                  "use_chat_template", "csrf_token"):  # fmt: skip
        assert f'name="{field}"' in page.text
    assert (
        "💬" in page.text
        and "/static/submit.js" in page.text
        and "<strong>alice</strong>" in page.text
    )

    form = {"model": "demo/tiny", "model_type": "pretrained", "precision": "bfloat16",
            "weight_type": "Original", "revision": "main", "csrf_token": csrf(browser, "/submit")}  # fmt: skip
    checked = browser.post("/submit", data={**form, "action": "check"})
    assert checked.status_code == 200 and "Every check passed" in checked.text
    assert context.store.list_requests() == []  # a check queues nothing
    assert 'value="demo/tiny"' in checked.text  # the form keeps what was typed

    submitted = browser.post("/submit", data={**form, "action": "submit"})
    assert submitted.status_code == 201 and "Queued as request #1" in submitted.text
    (queued,) = context.store.list_requests()
    assert queued.model == "demo/tiny" and queued.use_chat_template is False
    assert queued.sender == "alice"  # the signed-in user, whatever the form says

    again = browser.post("/submit", data={**form, "action": "submit"})
    assert again.status_code == 422 and 'data-check="duplicate"' in again.text


def test_submit_form_needs_a_user_and_a_csrf_token(browser: TestClient, context: Context) -> None:
    form = {"model": "demo/tiny", "model_type": "pretrained", "action": "submit"}
    forged = browser.post("/submit", data={**form, "csrf_token": "forged"})
    assert forged.status_code == 403 and "CSRF" in forged.json()["detail"]
    assert browser.post("/submit", data=form).status_code == 403
    browser.post("/logout", data={"csrf_token": csrf(browser, "/")})
    anonymous = browser.get("/submit", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/login?next=/submit"
    assert context.store.list_requests() == []


@pytest.mark.parametrize(
    ("form", "check", "field_before"),
    [
        ({"model": "../etc/passwd", "model_type": "pretrained"}, "model_id", 'name="model"'),
        ({"model": "demo/tiny"}, "model_type", "Model type"),
        ({"model": "demo/tiny", "model_type": "pretrained", "weight_type": "Adapter"}, "adapter",
         'name="weight_type"'),
        ({"model": "demo/tiny", "model_type": "pretrained", "use_chat_template": "on",
          "precision": "bfloat16"}, None, None),
    ],
)  # fmt: skip
def test_submit_form_puts_each_finding_next_to_its_field(
    browser: TestClient, form: dict[str, str], check: str | None, field_before: str | None
) -> None:
    token = csrf(browser, "/submit")
    answer = browser.post("/submit", data={**form, "action": "check", "csrf_token": token})
    if check is None:
        assert answer.status_code == 200, answer.text
        return
    assert answer.status_code == 422
    text = answer.text
    marker = f'data-check="{check}"'
    assert marker in text and field_before is not None
    # The finding sits after its field's input and before the next field's.
    assert text.index(field_before, text.index('id="submit-form"')) < text.index(marker)


def test_submit_form_escapes_what_was_typed_and_limits_size(browser: TestClient) -> None:
    token = csrf(browser, "/submit")
    hostile = {"model": '"><script>alert(1)</script>', "model_type": "pretrained",
               "action": "check", "csrf_token": token}  # fmt: skip
    answer = browser.post("/submit", data=hostile)
    assert "<script>alert(1)" not in answer.text and "&lt;script&gt;" in answer.text
    huge = browser.post("/submit", data={"model": "a/b", "base_model": "x" * 20000})
    assert huge.status_code == 413 and "over 16384 bytes" in huge.text
