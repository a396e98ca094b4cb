"""Signing in and posting forms through the ASGI app, as a browser would."""

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn
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


@contextmanager
def served(app: Any) -> Iterator[str]:
    """`app` under a real uvicorn on a free loopback port, in a thread; yields its base URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
