"""Signing in and posting forms through the ASGI app, as a browser would."""

import re

from fastapi.testclient import TestClient

from openboard.accounts import AccountService
from openboard.domain import Role
from openboard.store import Store

PASSWORD = "correct horse battery staple"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def add_user(store: Store, name: str, role: Role = Role.SUBMITTER) -> str:
    """A user with PASSWORD; returns an API token of theirs."""
    from datetime import UTC, datetime

    accounts = AccountService(store, lambda: datetime.now(UTC))
    accounts.add_user(name, PASSWORD, role, actor="test")
    return accounts.issue_token(name, "tests", actor="test").secret


def csrf(http: TestClient, path: str = "/login") -> str:
    match = _CSRF.search(http.get(path).text)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def sign_in(http: TestClient, name: str, password: str = PASSWORD) -> None:
    answer = http.post(
        "/login",
        data={"name": name, "password": password, "csrf_token": csrf(http), "next": "/"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
