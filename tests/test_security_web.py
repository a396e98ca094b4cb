"""Issue 21's smaller holes, each as the attack that found it: the CSRF exemption for an empty
Authorization header, 500s on hostile input, error responses without the security headers, a
cached token page and unbounded free text."""

import pytest
from fastapi.testclient import TestClient

from openboard.cli._context import Context
from openboard.web._json import MAX_DEPTH
from openboard.web._security import SECURITY_HEADERS

from .test_security import FLAG, SUBMISSION, Site
from .web_helpers import csrf, sign_in


@pytest.fixture
def site(context: Context) -> Site:
    return Site(context)


@pytest.mark.parametrize("header", ["", " ", "Bearer", "Bearer ", "Basic YWxpY2U6eA==", "token"])
def test_an_empty_or_malformed_authorization_header_is_a_401(site: Site, header: str) -> None:
    """Once the cookie's user stood in, and the header skipped the CSRF check."""
    http = site.client("root", token=False)  # an admin's session cookie
    answer = http.post("/api/admin/actions", json=FLAG, headers={"Authorization": header})
    assert answer.status_code == 401, answer.text
    assert "Authorization" in answer.json()["detail"]
    assert site.store.moderation.flags() == []  # nothing happened


def test_a_session_cookie_always_needs_the_csrf_token(site: Site) -> None:
    http = site.client("root", token=False)
    assert http.post("/api/admin/actions", json=FLAG).status_code == 403
    token = csrf(http, "/account")
    assert (
        http.post("/api/admin/actions", json=FLAG, headers={"X-CSRF-Token": token}).status_code
        == 200
    )
    bearer = site.client("root", token=True)  # a token carries no ambient authority: no CSRF
    assert bearer.post("/api/admin/actions", json={**FLAG, "model": "org/other"}).status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("page=inf", "page"), ("page=1e309", "page"), ("per_page=inf", "per_page"),
        ("page=" + "9" * 400, "page"), ("page=-inf", "page"), ("page=nan", "page"),
        ("params_min=inf", "params_min"), ("q=a%00b", "q"),
    ],
)  # fmt: skip
def test_hostile_board_parameters_are_a_400_naming_them(
    site: Site, query: str, parameter: str
) -> None:
    http = TestClient(site.app, raise_server_exceptions=False)
    for path in ("/", "/api/leaderboard", "/plots", "/leaderboard.csv"):
        answer = http.get(f"{path}?{query}")
        assert answer.status_code == 400, (path, answer.text[:300])
        assert parameter in answer.json()["detail"]
        assert len(answer.text) < 1000  # a 400-digit value is not echoed whole


@pytest.mark.parametrize("path", ["/api/submissions", "/api/validate", "/api/admin/actions"])
def test_deeply_nested_json_is_a_400(site: Site, path: str) -> None:
    http = TestClient(site.app, raise_server_exceptions=False)
    http.headers["Authorization"] = f"Bearer {site.tokens['root']}"
    for body in (
        "[" * 1000,
        '{"a":' * 1000 + "1" + "}" * 1000,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
    ):
        answer = http.post(path, content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, answer.text[:300]
        assert f"nests deeper than {MAX_DEPTH} levels" in answer.text
    # Brackets inside strings are text, not nesting.
    answer = http.post(path, json={**FLAG, **SUBMISSION, "reason": "[" * 1000})
    assert "nests deeper" not in answer.text


def test_a_forced_500_carries_the_security_headers(site: Site) -> None:
    def boom() -> None:
        raise RuntimeError("forced")

    site.app.add_api_route("/boom", boom)
    http = TestClient(site.app, raise_server_exceptions=False)
    answer = http.get("/boom")
    assert answer.status_code == 500
    for name, value in SECURITY_HEADERS.items():
        assert answer.headers.get(name) == value, name
    assert "forced" not in answer.text  # the error's text stays in the log
    for other in (http.get("/nowhere"), http.get("/api/leaderboard?page=inf")):  # 404, 400
        assert (
            other.headers["content-security-policy"] == SECURITY_HEADERS["content-security-policy"]
        )


def test_the_page_showing_a_new_token_is_never_cached(site: Site) -> None:
    http = TestClient(site.app)
    sign_in(http, "alice")
    assert http.get("/account").headers["cache-control"] == "no-store"
    answer = http.post(
        "/account/tokens", data={"label": "laptop", "csrf_token": csrf(http, "/account")}
    )
    assert (answer.status_code == 200 and "ob_" in answer.text) or "laptop" in answer.text
    assert answer.headers["cache-control"] == "no-store"


def test_free_text_has_a_server_side_limit(site: Site) -> None:
    http = TestClient(site.app)
    sign_in(http, "alice")
    answer = http.post(
        "/account/tokens", data={"label": "x" * 101, "csrf_token": csrf(http, "/account")}
    )
    assert answer.status_code == 400 and "label" in answer.text and "at most 100" in answer.text
    assert [t.label for t in site.store.accounts.tokens("alice")] == ["tests"]
    admin = site.client("root", token=True)
    answer = admin.post("/api/admin/actions", json={**FLAG, "reason": "r" * 5000})
    assert answer.status_code == 400, answer.text
    answer = admin.post("/api/admin/actions", json={**FLAG, "link": "https://e.org/" + "a" * 600})
    assert answer.status_code == 400, answer.text
    assert site.store.moderation.flags() == []
