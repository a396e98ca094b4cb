"""Sign-in through OpenID Connect against a real (local) provider: discovery, the authorization
code flow, an RS256-signed ID token checked against the provider's keys, the nonce and state.

The provider is a small app of this test served on loopback, standing in for Hugging Face, which
this machine cannot reach; openboard's side is authlib's real client."""

import base64
import secrets
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, RedirectResponse
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import RSAKey

from openboard.cli._context import Context
from openboard.evaluation import SUITES
from openboard.web import OidcConfig, create_app

from .web_helpers import served

CLIENT_ID, CLIENT_SECRET = "openboard", "s3cret-of-the-client"


class Provider:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
        self.codes: dict[str, dict[str, Any]] = {}
        self.base = ""
        self.username = "Alice Smith!"
        self.app = FastAPI()
        app = self.app

        @app.get("/.well-known/openid-configuration")
        def discovery() -> dict[str, Any]:
            return {
                "issuer": self.base, "authorization_endpoint": f"{self.base}/authorize",
                "token_endpoint": f"{self.base}/token", "jwks_uri": f"{self.base}/jwks",
                "response_types_supported": ["code"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            }  # fmt: skip

        @app.get("/authorize")
        def authorize(request: Request) -> RedirectResponse:
            q = request.query_params
            assert q["client_id"] == CLIENT_ID and q["response_type"] == "code"
            code = secrets.token_urlsafe(8)
            self.codes[code] = {"nonce": q.get("nonce"), "redirect_uri": q["redirect_uri"]}
            return RedirectResponse(
                f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
            )

        @app.post("/token")
        async def token(request: Request) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode()))
            basic = request.headers.get("authorization", "").removeprefix("Basic ")
            client = base64.b64decode(basic).decode() if basic else ""
            if client != f"{CLIENT_ID}:{CLIENT_SECRET}":
                raise HTTPException(status_code=401, detail="bad client")
            grant = self.codes.pop(form.get("code", ""), None)
            if grant is None or grant["redirect_uri"] != form.get("redirect_uri"):
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            now = int(time.time())
            claims = {"iss": self.base, "sub": "hf-12345", "aud": CLIENT_ID, "iat": now,
                      "exp": now + 600, "nonce": grant["nonce"],
                      "preferred_username": self.username}  # fmt: skip
            id_token = jwt.encode({"alg": "RS256", "kid": "k1"}, claims, self.key)
            return JSONResponse({"access_token": "at", "token_type": "Bearer", "expires_in": 600,
                                 "id_token": id_token})  # fmt: skip

        @app.get("/jwks")
        def jwks() -> dict[str, Any]:
            return {"keys": [self.key.as_dict(private=False)]}


@pytest.fixture
def provider() -> Iterator[Provider]:
    fake = Provider()
    with served(fake.app) as base:
        fake.base = base
        yield fake


def sign_in_with_provider(http: TestClient, next_page: str = "/") -> httpx.Response:
    """Follow the redirects a browser would: openboard → provider → openboard's callback."""
    start = http.get(f"/login/oidc?next={next_page}", follow_redirects=False)
    assert start.status_code == 302, start.text
    at_provider = httpx.get(start.headers["location"], follow_redirects=False)
    back = urlsplit(at_provider.headers["location"])
    return http.get(f"{back.path}?{back.query}", follow_redirects=False)


def test_first_sign_in_creates_a_submitter_and_later_ones_find_it(
    context: Context, provider: Provider
) -> None:
    config = OidcConfig(issuer=provider.base, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    app = create_app(context.store, SUITES, oidc=config)
    with TestClient(app) as http:
        assert "Sign in with Hugging Face" in http.get("/login").text
        done = sign_in_with_provider(http, "/account")
        assert done.status_code == 303 and done.headers["location"] == "/account"
        assert http.get("/api/me").json() == {"name": "Alice-Smith", "role": "submitter"}
        (user,) = context.store.accounts.users()
        assert user.external_id == f"{provider.base}|hf-12345" and not user.has_password
    provider.username = "renamed"  # the subject, not the name, identifies the account
    with TestClient(app) as again:
        sign_in_with_provider(again)
        assert again.get("/api/me").json()["name"] == "Alice-Smith"
    assert len(context.store.accounts.users()) == 1


def test_a_tampered_callback_signs_nobody_in(context: Context, provider: Provider) -> None:
    config = OidcConfig(issuer=provider.base, client_id=CLIENT_ID, client_secret="wrong")
    with TestClient(create_app(context.store, SUITES, oidc=config)) as http:
        refused = sign_in_with_provider(http)  # the provider refuses the client's secret
        assert refused.status_code == 401, refused.text
        assert http.get("/api/me").status_code == 401
    good = OidcConfig(issuer=provider.base, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    with TestClient(create_app(context.store, SUITES, oidc=good)) as http:
        forged = http.get("/login/oidc/callback?code=made-up&state=forged", follow_redirects=False)
        assert forged.status_code == 401 and "sign-in failed" in forged.json()["detail"]
        assert http.get("/api/me").status_code == 401
    assert context.store.accounts.users() == []


def test_without_an_issuer_there_is_no_provider_sign_in(context: Context) -> None:
    with TestClient(create_app(context.store, SUITES)) as http:
        assert "Sign in with" not in http.get("/login").text
        assert http.get("/login/oidc").status_code == 404
