"""Web sessions live on the server: a cookie copied before logout, a password change, a role change
or "sign out everywhere" opens nothing afterwards (issue 21, item 2)."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.accounts import AccountService
from openboard.cli import app as cli
from openboard.cli._context import Context
from openboard.domain import Role
from openboard.evaluation import SUITES
from openboard.web import create_app
from openboard.web._app import SESSION_COOKIE

from .web_helpers import PASSWORD, add_user, csrf, sign_in


@pytest.fixture
def site(context: Context) -> Iterator[FastAPI]:
    add_user(context.store, "root", Role.ADMIN)
    add_user(context.store, "alice")
    yield create_app(context.store, SUITES, secret_key="s" * 32)


def signed_in(app: FastAPI, name: str, password: str = PASSWORD) -> tuple[TestClient, str]:
    http = TestClient(app)
    sign_in(http, name, password)
    cookie = http.cookies.get(SESSION_COOKIE)
    assert cookie
    return http, cookie


def replay(app: FastAPI, cookie: str, path: str = "/api/me") -> int:
    """What a thief who copied the cookie gets."""
    thief = TestClient(app)
    thief.cookies.set(SESSION_COOKIE, cookie)
    return thief.get(path).status_code


def accounts(context: Context) -> AccountService:
    return AccountService(context.store, lambda: datetime.now(UTC))


def test_a_cookie_copied_before_logout_opens_nothing_after(site: FastAPI) -> None:
    http, cookie = signed_in(site, "root")
    assert replay(site, cookie, "/api/admin") == 200
    answer = http.post(
        "/logout", data={"csrf_token": csrf(http, "/account")}, follow_redirects=False
    )
    assert answer.status_code == 303
    assert replay(site, cookie, "/api/admin") == 401
    assert replay(site, cookie) == 401
    assert TestClient(site).get("/account", follow_redirects=False).status_code == 303


def test_a_role_change_ends_the_users_sessions(site: FastAPI, context: Context) -> None:
    _, cookie = signed_in(site, "root")
    accounts(context).set_role("root", Role.SUBMITTER, "operator", "left the team")
    assert replay(site, cookie, "/api/admin") == 401
    assert replay(site, cookie) == 401
    _, fresh = signed_in(site, "root")  # signing in again works, with the new role
    assert replay(site, fresh) == 200 and replay(site, fresh, "/api/admin") == 403


def test_a_password_change_ends_the_users_sessions(site: FastAPI, context: Context) -> None:
    _, cookie = signed_in(site, "alice")
    _, other = signed_in(site, "alice")
    accounts(context).set_password("alice", "a brand new passphrase", "alice")
    assert replay(site, cookie) == 401 and replay(site, other) == 401
    _, fresh = signed_in(site, "alice", "a brand new passphrase")
    assert replay(site, fresh) == 200


def test_sign_out_everywhere_from_the_account_page_and_the_cli(
    site: FastAPI, context: Context, cli_env: dict[str, str]
) -> None:
    laptop, laptop_cookie = signed_in(site, "alice")
    _, phone_cookie = signed_in(site, "alice")
    _, root_cookie = signed_in(site, "root")
    token = csrf(laptop, "/account")
    laptop.post("/logout", data={"csrf_token": token, "everywhere": "1"}, follow_redirects=False)
    assert replay(site, laptop_cookie) == 401 and replay(site, phone_cookie) == 401
    assert replay(site, root_cookie) == 200  # someone else's sessions are untouched

    done = CliRunner().invoke(
        cli, ["users", "sign-out", "root", "--reason", "lost laptop"], env=cli_env
    )
    assert done.exit_code == 0, done.output
    assert "ended 1 session of root" in done.output
    assert replay(site, root_cookie) == 401
    signed_out = context.store.moderation.audit_log(target="user root")
    assert [e.reason for e in signed_out if e.action == "user.sign_out"] == ["lost laptop"]


def test_a_session_ends_when_it_expires(context: Context) -> None:
    add_user(context.store, "bob")
    now = datetime.now(UTC)
    secret = AccountService(context.store, lambda: now).start_session("bob", days=1)
    later = AccountService(context.store, lambda: now + timedelta(days=1, seconds=1))
    assert AccountService(context.store, lambda: now).session_user(secret) is not None
    assert later.session_user(secret) is None
    assert later.session_user("forged" + secret) is None
