"""Sign-in with an external OpenID Connect provider (e.g. Hugging Face), through authlib; off
unless the settings name an issuer. A first sign-in creates a submitter account named after the
provider's user name (or a free variant of it), linked to the provider's subject for good."""

import re
from dataclasses import dataclass
from typing import Any

from authlib.integrations.base_client import OAuthError
from authlib.integrations.starlette_client import OAuth
from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse

from openboard.domain import Role
from openboard.store import DuplicateUserError, User
from openboard.web._auth import Auth, safe_next


@dataclass(frozen=True, slots=True)
class OidcConfig:
    issuer: str  # e.g. https://huggingface.co
    client_id: str
    client_secret: str
    label: str = "Hugging Face"
    scope: str = "openid profile"


_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def account_name(claims: dict[str, Any]) -> str:
    """A local user name from the provider's claims, within openboard's user-name grammar."""
    wanted = str(claims.get("preferred_username") or claims.get("name") or claims["sub"])
    name = _UNSAFE.sub("-", wanted).strip("-.")[:50]
    return name if name and name[0].isalnum() else f"user-{name}"[:50]


def oidc_router(config: OidcConfig, auth: Auth) -> APIRouter:
    oauth = OAuth()
    oauth.register(
        "provider", client_id=config.client_id, client_secret=config.client_secret,
        server_metadata_url=config.issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_kwargs={"scope": config.scope},
    )  # fmt: skip
    client: Any = oauth.create_client("provider")
    router = APIRouter()

    @router.get("/login/oidc")
    async def start(request: Request, next: str = "/") -> Any:
        request.session["oidc_next"] = safe_next(next)
        return await client.authorize_redirect(request, str(request.url_for("oidc_callback")))

    @router.get("/login/oidc/callback", name="oidc_callback")
    async def callback(request: Request) -> RedirectResponse:
        try:
            token = await client.authorize_access_token(request)
        except OAuthError as exc:
            raise HTTPException(
                status_code=401, detail=f"{config.label} sign-in failed: {exc.error}; try again"
            ) from exc
        claims = dict(token.get("userinfo") or {})
        if not claims.get("sub"):
            raise HTTPException(status_code=401, detail=f"{config.label} sent no user id")
        user = _account(auth, f"{claims.get('iss', config.issuer)}|{claims['sub']}", claims)
        target = safe_next(str(request.session.pop("oidc_next", "/")))
        auth.sign_in(request, user)
        return RedirectResponse(target, status_code=303)

    return router


def _account(auth: Auth, external_id: str, claims: dict[str, Any]) -> User:
    accounts = auth.accounts
    known = accounts.user_by_external_id(external_id)
    if known is not None:
        return known
    base = account_name(claims)
    for suffix in ["", *(f"-{n}" for n in range(2, 100))]:
        try:
            return accounts.add_user(
                base + suffix, None, Role.SUBMITTER, "openid-connect", external_id=external_id
            )
        except DuplicateUserError:
            continue
    raise HTTPException(status_code=409, detail=f"no free user name like {base!r}; ask an admin")
