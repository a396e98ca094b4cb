"""Who may do what (an authorization matrix), hostile input, the audit log, headers and limits."""

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import argon2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from openboard.accounts import AccountService, _service
from openboard.cli import app as cli
from openboard.cli._context import Context
from openboard.domain import Role
from openboard.evaluation import SUITES
from openboard.web import Limits, create_app

from .test_board import add_finished
from .test_store import new_request
from .web_helpers import PASSWORD, add_user, csrf, served, sign_in

ROLES = ("anonymous", "alice", "bob", "root")  # submitter, other submitter, admin
HOSTILE_CARD = (
    "---\nlicense: mit\n---\n# Good model\n<script>alert('card')</script>\n"
    '<img src=x onerror=alert(1)> [click](javascript:alert(2)) <a href="https://x" '
    'onclick="alert(3)">x</a>\n'
)


class Site:
    """The app with alice and bob (submitters) and root (admin), each with a token and a session."""

    def __init__(self, context: Context, limits: Limits | None = None) -> None:
        store = context.store
        add_finished(store, "org/good", (50, 50, 50))
        self.tokens = {
            "alice": add_user(store, "alice"),
            "bob": add_user(store, "bob"),
            "root": add_user(store, "root", Role.ADMIN),
        }
        extra: dict[str, Any] = {"limits": limits} if limits else {}
        self.app = create_app(store, SUITES, submissions=context.submission(),
                              artifacts=context.settings.artifacts_dir, **extra)  # fmt: skip
        self.store = store

    def client(self, role: str, token: bool) -> TestClient:
        http = TestClient(self.app)
        if role != "anonymous":
            if token:
                http.headers["Authorization"] = f"Bearer {self.tokens[role]}"
            else:
                sign_in(http, role)
        return http


@pytest.fixture
def site(context: Context) -> Site:
    return Site(context)


SUBMISSION = {"model": "demo/tiny", "model_type": "pretrained"}
WEBHOOK = {"url": "https://93.184.215.14/hook"}  # a public literal address: no DNS look-up
FLAG = {"action": "flag", "model": "org/good", "reason": "contaminated", "link": "https://e.org/1"}
RERUN = {"action": "rerun", "request_id": 1, "reason": "lm-eval upgraded"}  # org/good's evaluation

# (method, path, body, by token?) → expected status for anonymous, alice, bob, root
MATRIX: list[tuple[str, str, dict[str, Any] | None, bool, tuple[int, int, int, int]]] = [
    ("GET", "/", None, False, (200, 200, 200, 200)),
    ("GET", "/api/leaderboard", None, True, (200, 200, 200, 200)),
    ("GET", "/queue", None, False, (200, 200, 200, 200)),
    ("GET", "/api/queue", None, True, (200, 200, 200, 200)),
    ("GET", "/models/org/good", None, False, (200, 200, 200, 200)),
    ("GET", "/about", None, False, (200, 200, 200, 200)),
    ("GET", "/plots", None, False, (200, 200, 200, 200)),
    ("GET", "/compare?models=org/good", None, False, (200, 200, 200, 200)),
    ("GET", "/leaderboard.csv", None, False, (200, 200, 200, 200)),
    ("GET", "/submit", None, False, (303, 200, 200, 200)),
    ("GET", "/account", None, False, (303, 200, 200, 200)),
    ("GET", "/api/me", None, True, (401, 200, 200, 200)),
    ("POST", "/api/validate", SUBMISSION, True, (401, 200, 200, 200)),
    ("POST", "/api/submissions", SUBMISSION, True, (401, 201, 201, 201)),
    ("GET", "/admin", None, False, (303, 403, 403, 200)),
    ("GET", "/api/admin", None, True, (401, 403, 403, 200)),
    ("POST", "/api/admin/actions", FLAG, True, (401, 403, 403, 200)),
    ("POST", "/api/admin/actions", RERUN, True, (401, 403, 403, 200)),
    ("GET", "/api/about", None, True, (200, 200, 200, 200)),
    ("GET", "/api/compare?models=org/good", None, True, (200, 200, 200, 200)),
    ("GET", "/api/models/org/good", None, True, (200, 200, 200, 200)),
    ("GET", "/models/org/good/samples/1", None, False, (200, 200, 200, 200)),
    ("GET", "/api/models/org/good/samples/1", None, True, (200, 200, 200, 200)),
    ("GET", "/api/plots", None, True, (200, 200, 200, 200)),
    ("GET", "/leaderboard.parquet", None, False, (200, 200, 200, 200)),
    ("GET", "/login", None, False, (200, 200, 200, 200)),
    ("GET", "/feeds/results.atom", None, False, (200, 200, 200, 200)),
    ("GET", "/feeds/models/org/good.atom", None, False, (200, 200, 200, 200)),
    ("GET", "/feeds/submitters/alice.atom", None, False, (200, 200, 200, 200)),
    # Forms without their CSRF token: refused before anything happens (the good path is tested
    # with a token elsewhere); anonymous users are sent to sign in first.
    ("POST", "/submit", SUBMISSION, False, (303, 403, 403, 403)),
    ("POST", "/account/tokens", {"label": "x"}, False, (303, 403, 403, 403)),
    ("POST", "/admin/actions", FLAG, False, (303, 403, 403, 403)),
    ("POST", "/login", {"name": "alice", "password": PASSWORD}, False, (403, 403, 403, 403)),
    ("POST", "/logout", {}, False, (403, 403, 403, 403)),
    ("GET", "/api/webhooks", None, True, (401, 200, 200, 200)),
    ("POST", "/api/webhooks", WEBHOOK, True, (401, 201, 201, 201)),
    ("DELETE", "/api/webhooks/999", None, True, (401, 404, 404, 404)),
    ("GET", "/api/webhooks/deliveries", None, True, (401, 200, 200, 200)),
    ("GET", "/api/webhooks/deliveries?everyone=true", None, True, (401, 403, 403, 200)),
    ("POST", "/api/webhooks/deliveries/999/resend", None, True, (401, 404, 404, 404)),
    ("GET", "/api/requests/1", None, True, (200, 200, 200, 200)),
    # alice's finished request: hers to cancel, but the transition table refuses FINISHED.
    ("POST", "/api/requests/1/cancel", {"reason": "x"}, True, (401, 409, 403, 409)),
    ("POST", "/requests/1/cancel", {"reason": "x"}, False, (303, 403, 403, 403)),
    # Votes are for pending requests only; taking back a vote one never cast changes nothing.
    ("POST", "/api/requests/1/vote", None, True, (401, 409, 409, 409)),
    ("DELETE", "/api/requests/1/vote", None, True, (401, 200, 200, 200)),
    ("POST", "/requests/1/vote", {"action": "vote"}, False, (303, 403, 403, 403)),
    (
        "POST",
        "/account/webhooks",
        {"action": "add", "url": WEBHOOK["url"]},
        False,
        (303, 403, 403, 403),
    ),
]


@pytest.mark.parametrize(
    ("method", "path", "body", "token", "expected"), MATRIX, ids=[f"{m} {p}" for m, p, *_ in MATRIX]
)
def test_authorization_matrix(
    context: Context, method: str, path: str, body: dict[str, Any] | None, token: bool,
    expected: tuple[int, int, int, int],
) -> None:  # fmt: skip
    site = Site(context)
    for role, status in zip(ROLES, expected, strict=True):
        http = site.client(role, token)
        form = body if method == "POST" and not token else None  # a browser posts forms
        answer = http.request(method, path, json=None if form is not None else body, data=form,
                              follow_redirects=False)  # fmt: skip
        assert answer.status_code == status, (role, answer.text[:300])
        if path == "/api/submissions" and status == 201:
            # Each submitter's request is their own, whatever a body might claim.
            assert site.store.get_request(answer.json()["request_id"]).sender == role  # type: ignore[union-attr]
            site.store.moderation.delete_request(answer.json()["request_id"], "test", T, "again")


T = datetime(2026, 6, 1, tzinfo=UTC)


def test_the_matrix_covers_every_route(site: Site) -> None:
    covered = {(m, p.split("?")[0]) for m, p, *_ in MATRIX}
    for template, operations in site.app.openapi()["paths"].items():
        shape = re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$")
        for method in operations:
            assert any(m == method.upper() and shape.match(p) for m, p in covered), (
                method,
                template,
            )


def test_a_submitter_cannot_touch_another_ones_tokens(site: Site) -> None:
    alice_token_id = site.store.accounts.tokens("alice")[0].id
    bob = site.client("bob", token=False)
    answer = bob.post("/account/tokens", data={"action": "revoke", "token_id": str(alice_token_id),
                                               "csrf_token": csrf(bob, "/account")})  # fmt: skip
    assert answer.status_code == 404
    assert site.client("alice", token=True).get("/api/me").status_code == 200
    alice = site.client("alice", token=False)
    issued = alice.post(
        "/account/tokens", data={"label": "laptop", "csrf_token": csrf(alice, "/account")}
    )
    assert issued.status_code == 200 and "shown this once" in issued.text
    assert "obt_" in issued.text and len(site.store.accounts.tokens("alice")) == 2


def test_revoked_and_expired_tokens_are_refused(context: Context, site: Site) -> None:
    accounts = AccountService(context.store, lambda: datetime.now(UTC))
    http = site.client("alice", token=True)
    assert http.get("/api/me").json() == {"name": "alice", "role": "submitter"}
    accounts.revoke_token(site.store.accounts.tokens("alice")[0].id, "root", "leaked")
    refused = http.get("/api/me")
    assert refused.status_code == 401 and "unknown or revoked" in refused.json()["detail"]
    assert refused.headers["www-authenticate"] == "Bearer"
    past = AccountService(context.store, lambda: datetime(2020, 1, 1, tzinfo=UTC))
    old = past.issue_token("alice", "old", "root", days=1).secret
    assert http.get("/api/me", headers={"Authorization": f"Bearer {old}"}).status_code == 401
    for forged in ("Bearer obt_forged", "Basic YWxpY2U6eA==", "Bearer " + "x" * 5000):
        assert http.get("/api/me", headers={"Authorization": forged}).status_code == 401
    # Tokens are stored as hashes only.
    with context.store.engine.connect() as conn:
        stored = " ".join(str(r) for r in conn.execute(text("SELECT * FROM api_tokens")))
    assert site.tokens["bob"] not in stored and old not in stored


def test_forged_or_missing_csrf_tokens_change_nothing(site: Site) -> None:
    root = site.client("root", token=False)
    for token in ("forged", ""):
        answer = root.post("/admin/actions", data={**FLAG, "csrf_token": token})
        assert answer.status_code == 403 and "CSRF" in answer.json()["detail"]
    # JSON calls carried by the session cookie need the token in a header too.
    assert root.post("/api/admin/actions", json=FLAG).status_code == 403
    assert site.store.moderation.flags() == []
    assert [e for e in site.store.moderation.audit_log() if e.actor == "root"] == []
    good = root.post(
        "/api/admin/actions", json=FLAG, headers={"X-CSRF-Token": csrf(root, "/admin")}
    )
    assert good.status_code == 200 and len(site.store.moderation.flags()) == 1
    logout = root.post("/logout", data={"csrf_token": "forged"})
    assert logout.status_code == 403


def test_sign_in_refuses_wrong_passwords_and_foreign_redirects(site: Site) -> None:
    http = TestClient(site.app)
    wrong = http.post(
        "/login", data={"name": "alice", "password": "nope", "csrf_token": csrf(http)}
    )
    assert wrong.status_code == 401 and "wrong user name or password" in wrong.text
    unknown = http.post(
        "/login", data={"name": "mallory", "password": PASSWORD, "csrf_token": csrf(http)}
    )
    assert unknown.status_code == 401
    away = http.post("/login", data={"name": "alice", "password": PASSWORD, "csrf_token": csrf(http),
                                     "next": "//evil.example/x"}, follow_redirects=False)  # fmt: skip
    assert away.status_code == 303 and away.headers["location"] == "/"
    cookie = away.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_every_admin_action_is_audited_with_who_when_why(site: Site, context: Context) -> None:
    store = context.store
    store.add_request(new_request(model="org/queued"), actor="alice")
    queued = store.list_requests(model="org/queued")[0].id
    good = store.list_requests(model="org/good")[0].id
    root = site.client("root", token=True)
    actions = [
        FLAG, {"action": "unflag", "model": "org/good", "reason": "cleared"},
        {"action": "hide", "request_id": good, "reason": "duplicate upload"},
        {"action": "unhide", "request_id": good, "reason": "restored"},
        {"action": "set-model-type", "request_id": good, "model_type": "chat", "reason": "is chat"},
        {"action": "priority", "request_id": queued, "priority": 5, "reason": "sponsor"},
        {"action": "cancel", "request_id": queued, "reason": "withdrawn"},
        {"action": "requeue", "request_id": queued, "reason": "back"},
        {"action": "rerun", "request_id": good, "reason": "new scorer"},
        {"action": "block", "pattern": "spam/*", "reason": "spam"},
        {"action": "unblock", "pattern": "spam/*", "reason": "reformed"},
        {"action": "add-official", "namespace": "org", "reason": "verified"},
        {"action": "remove-official", "namespace": "org", "reason": "unverified"},
        {"action": "delete", "request_id": good, "reason": "asked by the author"},
    ]  # fmt: skip
    for action in actions:
        answer = root.post("/api/admin/actions", json=action)
        assert answer.status_code == 200, (action, answer.text)
    audit = list(reversed(store.moderation.audit_log()))
    logged = [(e.action, e.reason) for e in audit if e.actor == "root"]
    assert logged == [
        ("model.flag", "contaminated"), ("model.unflag", "cleared"),
        ("result.hide", "duplicate upload"), ("result.unhide", "restored"),
        ("request.model_type", "is chat"), ("request.priority", "sponsor"),
        ("request.cancel", "withdrawn"), ("request.requeue", "back"), ("request.rerun", "new scorer"),
        ("blocklist.add", "spam"), ("blocklist.remove", "reformed"),
        ("official.add", "verified"), ("official.remove", "unverified"),
        ("result.delete", "asked by the author"),
    ]  # fmt: skip
    assert audit[-1].details["model"] == "org/good" and store.get_request(good) is None
    assert all(e.at.tzinfo is not None for e in audit)
    missing_reason = root.post("/api/admin/actions", json={"action": "hide", "request_id": queued})
    assert missing_reason.status_code == 400 and "needs a reason" in missing_reason.json()["detail"]
    bogus = root.post("/api/admin/actions", json={"action": "drop-tables", "reason": "x"})
    assert bogus.status_code == 400 and "unknown action" in bogus.json()["detail"]


def test_the_audit_log_cannot_be_edited(site: Site, context: Context) -> None:
    site.client("root", token=True).post("/api/admin/actions", json=FLAG)
    before = context.store.moderation.audit_log()
    assert before[0].action == "model.flag"
    for statement in ("UPDATE audit_log SET reason = 'nothing happened'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), context.store.engine.begin() as conn:
            conn.execute(text(statement))
    assert context.store.moderation.audit_log() == before
    # And the app offers no way to: no route changes or deletes an audit entry (the actions route
    # only adds them, as test_every_admin_action_is_audited_with_who_when_why shows).
    paths = site.app.openapi()["paths"]
    assert paths and not [p for p, ops in paths.items() if "audit" in p and set(ops) - {"get"}]
    changing = {p for p, ops in paths.items() if {"put", "patch", "delete"} & set(ops)}
    # A submitter takes back their own webhook or vote; nothing changes or removes an audit entry.
    assert changing == {"/api/webhooks/{webhook_id}", "/api/requests/{request_id}/vote"}


def test_flags_show_with_their_reason_and_hide_by_default(site: Site) -> None:
    site.client("root", token=True).post("/api/admin/actions", json=FLAG)
    http = TestClient(site.app)
    assert http.get("/api/leaderboard").json()["total"] == 0
    shown = http.get("/api/leaderboard?flagged=show").json()["rows"][0]
    assert shown["flagged"] == "contaminated" and shown["flag_link"] == "https://e.org/1"
    assert "🚩" in http.get("/?flagged=show").text


def test_hostile_model_card_is_sanitized(context: Context) -> None:
    store = context.store
    store.add_request(replace(new_request(model="evil/card"), model_card=HOSTILE_CARD), actor="x")
    with TestClient(create_app(store, SUITES)) as http:
        html = http.get("/models/evil/card").text
        card = html[html.index('id="model-card"') :]
        assert "<h1>Good model</h1>" in card
        assert "<script" not in card and "<img" not in card and 'href="javascript' not in card
        assert re.search(r"<[^>]*\son\w+=", card) is None  # no tag with an event handler
        assert "license: mit" not in card  # the front matter is metadata, not text
        assert http.get("/api/models/evil/card").json()["model_card"] == HOSTILE_CARD


@pytest.mark.parametrize(
    "name",
    [
        "org/na\x00me",
        "org/na\nme",
        "org/name\n",
        "org/<script>",
        "../../etc/passwd",
        "org/" + "x" * 200,
    ],
)
def test_hostile_model_names_are_refused_everywhere(site: Site, name: str) -> None:
    http = site.client("alice", token=True)
    answer = http.post("/api/submissions", json={**SUBMISSION, "model": name})
    assert answer.status_code == 422
    assert [f["check"] for f in answer.json()["findings"]] == ["model_id"]
    flag = site.client("root", token=True).post("/api/admin/actions", json={**FLAG, "model": name})
    assert flag.status_code == 400
    assert site.store.list_requests() and all(
        r.model == "org/good" for r in site.store.list_requests()
    )


def test_user_names_with_control_characters_are_refused(context: Context) -> None:
    accounts = AccountService(context.store, lambda: T)
    for name in ("al\x00ice", "bob\n", "<b>", "", "a" * 70):
        with pytest.raises(Exception, match="not a valid user name"):
            accounts.add_user(name, PASSWORD, Role.SUBMITTER, "test")
    with pytest.raises(Exception, match="10 to 1024"):
        accounts.add_user("carol", "short", Role.SUBMITTER, "test")


def test_production_hashes_passwords_at_full_strength(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The suite hashes at argon2's cheapest (conftest's cheap_password_hashing); production uses
    RFC 9106's parameters, and raises a weaker stored hash to them at the next sign-in."""
    AccountService(context.store, lambda: T).add_user("carol", PASSWORD, Role.SUBMITTER, "test")
    assert (context.store.accounts.password_hash("carol") or "").startswith("$argon2id$v=19$m=8,")
    monkeypatch.setattr(_service, "PasswordHasher", argon2.PasswordHasher)  # production's own
    production = AccountService(context.store, lambda: T)
    assert production.authenticate("carol", PASSWORD) is not None
    raised = context.store.accounts.password_hash("carol") or ""
    assert raised.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert production.authenticate("carol", PASSWORD) is not None


def test_oversized_bodies_and_floods_are_refused(context: Context) -> None:
    site = Site(context, Limits(max_body_bytes=1024, api_per_minute=5, logins_per_minute=2))
    http = site.client("alice", token=True)
    big = http.post("/api/submissions", content=b"{" + b" " * 5000 + b"}",
                    headers={"Content-Type": "application/json"})  # fmt: skip
    assert big.status_code == 413 and "over 1024 bytes" in big.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        for _ in range(10):
            yield b" " * 200

    streamed = http.post(
        "/api/validate", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    statuses = [http.get("/api/leaderboard").status_code for _ in range(6)]
    assert statuses[:3] == [200, 200, 200] and statuses[-1] == 429
    limited = http.get("/api/leaderboard")
    assert int(limited.headers["retry-after"]) >= 1
    assert site.client("bob", token=True).get("/api/leaderboard").status_code == 200  # per token
    anonymous = TestClient(site.app)
    logins = [anonymous.post("/login", data={"name": "x", "password": "y"}).status_code
              for _ in range(3)]  # fmt: skip
    assert logins[-1] == 429
    assert (
        site.store.list_requests()[0].model == "org/good" and len(site.store.list_requests()) == 1
    )


def test_security_headers_on_every_kind_of_response(site: Site) -> None:
    http = TestClient(site.app)
    for path in (
        "/",
        "/api/leaderboard",
        "/static/style.css",
        "/models/no/such",
        "/vendor/plotly.min.js",
    ):
        headers = http.get(path).headers
        csp = headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
        )
        assert "frame-ancestors 'none'" in csp
        assert (
            headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        )
    page = http.get("/").text + http.get("/submit", follow_redirects=True).text
    assert "<script>" not in page  # every script is a file: <script src=...>


def test_no_secret_reaches_job_files_or_error_pages(context: Context, tmp_path: Any) -> None:
    secret_url = "postgresql+psycopg://openboard:hunter2-secret@127.0.0.1:1/none"
    settings = context.settings.model_copy(update={"database_url": secret_url})
    plain, env = settings.split_secrets()
    assert "hunter2" not in json.dumps(plain) and env["OPENBOARD_DATABASE_URL"] == secret_url
    result = CliRunner().invoke(cli, ["queue"], env={"OPENBOARD_DATABASE_URL": secret_url,
                                                     "OPENBOARD_HOME": str(tmp_path)})  # fmt: skip
    assert result.exit_code == 1 and "hunter2" not in result.output
    assert "cannot use the database" in result.output


@pytest.fixture
def server(site: Site) -> Iterator[str]:
    with served(site.app) as base:
        yield base


def test_cli_submits_to_a_server_as_the_token_owner(
    site: Site, server: str, cli_env: dict[str, str]
) -> None:
    runner = CliRunner()

    def submit(token: str | None) -> Any:
        env = {**cli_env, "OPENBOARD_TOKEN": token or ""}
        return runner.invoke(cli, ["submit", "demo/tiny", "--model-type", "pretrained", "--json",
                                   "--server", server], env=env)  # fmt: skip

    anonymous = submit(None)
    assert anonymous.exit_code == 1 and "needs an API token" in anonymous.output
    queued = submit(site.tokens["alice"])
    assert queued.exit_code == 0, queued.output
    request = site.store.get_request(json.loads(queued.output)["request_id"])
    assert request is not None and request.sender == "alice"
    duplicate = submit(site.tokens["bob"])
    assert duplicate.exit_code == 1 and '"duplicate"' in duplicate.output
    AccountService(site.store, lambda: datetime.now(UTC)).revoke_token(
        site.store.accounts.tokens("alice")[0].id, "root", "leaked"
    )
    revoked = submit(site.tokens["alice"])
    assert revoked.exit_code == 1 and "unknown or revoked" in revoked.output


def test_the_queue_highlights_the_signed_in_submitters_requests(site: Site) -> None:
    alice = site.client("alice", token=True)
    assert alice.post("/api/submissions", json=SUBMISSION).status_code == 201
    mine = site.client("alice", token=False).get("/queue").text
    theirs = site.client("bob", token=False).get("/queue").text
    alices = [r for r in site.store.list_requests() if r.sender == "alice"]
    assert len(alices) == 2  # org/good (the fixture's) and the new one
    assert mine.count(' mine"') == 2 and theirs.count(' mine"') == 0


def test_the_cli_leaderboard_leaves_out_what_moderators_took_off(
    site: Site, cli_env: dict[str, str]
) -> None:
    add_finished(site.store, "org/flagged", (70, 70, 70))
    root = site.client("root", token=True)
    good = site.store.list_requests(model="org/good")[0].id
    listed = CliRunner().invoke(cli, ["leaderboard", "--json"], env=cli_env)
    assert [r["model"] for r in json.loads(listed.output)["rows"]] == ["org/flagged", "org/good"]
    assert root.post("/api/admin/actions", json={**FLAG, "model": "org/flagged"}).status_code == 200
    assert root.post("/api/admin/actions",
                     json={"action": "hide", "request_id": good, "reason": "dup"}).status_code == 200  # fmt: skip
    listed = CliRunner().invoke(cli, ["leaderboard", "--json"], env=cli_env)
    assert json.loads(listed.output)["rows"] == []
