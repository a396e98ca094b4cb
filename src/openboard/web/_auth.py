"""Who is asking: a session cookie (web) or a bearer token (API, CLI); CSRF tokens for forms.

The session cookie is signed (Starlette's SessionMiddleware: HttpOnly, SameSite=Lax) and holds
a random session id and the CSRF token. The session lives on the server (its id's sha256): logout,
a password or role change and "sign out everywhere" end it, so a copied cookie stops working then. Requests with a bearer token carry no ambient authority and need
no CSRF token; requests with a session cookie need one on every change.
"""

import secrets
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool  # argon2 is slow on purpose

from openboard.accounts import AccountService
from openboard.domain import OpenboardError, Role
from openboard.store import User

Page = Callable[..., HTMLResponse]
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class Auth:
    def __init__(self, accounts: AccountService, session_days: float = 14) -> None:
        self.accounts = accounts
        self.session_days = session_days

    def user(self, request: Request) -> User | None:
        """The signed-in user. An Authorization header, even an empty one, must carry a known
        bearer token: anything else is refused outright, never read as the cookie's user."""
        header = request.headers.get("authorization")
        if header is not None:
            scheme, _, token = header.strip().partition(" ")
            token = token.strip()
            user = (
                self.accounts.user_for_token(token)
                if scheme.lower() == "bearer" and token
                else None
            )
            if user is None:
                raise HTTPException(
                    status_code=401,
                    detail="the API token is unknown or revoked, or the Authorization header "
                    "holds none: send "
                    "'Authorization: Bearer <token>' (an admin issues one with openboard users "
                    "token NAME), or no Authorization header with a signed-in session",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            request.state.by_token = True
            return user
        session = request.session.get("sid")
        return self.accounts.session_user(session) if isinstance(session, str) else None

    def anonymous(self, request: Request) -> bool:
        """No bearer token and no signed-in session: `user` is None without reading an account."""
        return "authorization" not in request.headers and "sid" not in request.session

    def sign_in(self, request: Request, user: User) -> None:
        """A fresh session (and CSRF token) at every sign-in, held on the server."""
        request.session.clear()
        request.session["sid"] = self.accounts.start_session(user.name, self.session_days)

    def sign_out(self, request: Request) -> None:
        session = request.session.get("sid")
        if isinstance(session, str):
            self.accounts.end_session(session)
        request.session.clear()

    def require(self, request: Request, role: Role = Role.SUBMITTER) -> User:
        """For the JSON API: 401 without a user, 403 without the role, 403 without CSRF (cookies)."""
        user = self.user(request)
        if user is None:
            raise HTTPException(
                status_code=401,
                detail="sign in at /login, or send an API token as 'Authorization: Bearer <token>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if role is Role.ADMIN and user.role is not Role.ADMIN:
            raise HTTPException(status_code=403, detail=f"{user.name} is not an admin")
        # Only a bearer token carries no ambient authority; a cookie always needs the CSRF token.
        by_token = getattr(request.state, "by_token", False)
        if not by_token and request.method not in ("GET", "HEAD"):
            check_csrf(request, request.headers.get(CSRF_HEADER, ""))
        return user


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def check_csrf(request: Request, submitted: str) -> None:
    expected = request.session.get("csrf")
    if not isinstance(expected, str) or not secrets.compare_digest(expected, submitted):
        raise HTTPException(
            status_code=403,
            detail="the form's CSRF token is missing or stale: reload the page and try again",
        )


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


def form_fields(body: bytes) -> dict[str, str]:
    return dict(parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True))


def safe_next(target: str) -> str:
    """Only a path on this site: an open redirect would lend openboard's name to phishing."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def login_redirect(request: Request) -> RedirectResponse:
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(here)}", status_code=303)


def auth_router(auth: Auth, page: Page) -> APIRouter:
    router = APIRouter()

    @router.get("/login", response_class=HTMLResponse)
    def login_page(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "login.html", next=safe_next(next), error=None)

    @router.post("/login", response_model=None)
    async def login(request: Request) -> Response:
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        user = await run_in_threadpool(
            auth.accounts.authenticate, fields.get("name", ""), fields.get("password", "")
        )
        target = safe_next(fields.get("next", "/"))
        if user is None:
            return page(request, "login.html", next=target, status_code=401,
                        error="wrong user name or password")  # fmt: skip
        auth.sign_in(request, user)
        return RedirectResponse(target, status_code=303)

    @router.post("/logout")
    async def logout(request: Request) -> RedirectResponse:
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        user = auth.user(request)
        if fields.get("everywhere") and user is not None:
            auth.accounts.sign_out_everywhere(user.name, user.name, "signed out everywhere")
        auth.sign_out(request)
        return RedirectResponse("/", status_code=303)

    @router.get("/account", response_model=None)
    def account_page(request: Request) -> Response:
        user = auth.user(request)
        if user is None:
            return login_redirect(request)
        return _private(page(request, "account.html", account=user,
                             tokens=auth.accounts.tokens(user.name), issued=None))  # fmt: skip

    @router.post("/account/tokens", response_model=None)
    async def account_tokens(request: Request) -> Response:
        user = auth.user(request)
        if user is None:
            return login_redirect(request)
        fields = form_fields(await request.body())
        check_csrf(request, fields.get(CSRF_FIELD, ""))
        issued: Any = None
        if fields.get("action") == "revoke":
            owned = {str(t.id): t.id for t in auth.accounts.tokens(user.name)}
            token_id = owned.get(fields.get("token_id", ""))
            if token_id is None:
                raise HTTPException(status_code=404, detail="you have no such token")
            try:
                auth.accounts.revoke_token(token_id, user.name, "revoked by its owner")
            except OpenboardError as exc:
                raise HTTPException(status_code=409, detail=exc.message) from exc
        else:
            try:
                issued = auth.accounts.issue_token(
                    user.name, fields.get("label", "").strip() or "web", user.name
                )
            except OpenboardError as exc:
                raise HTTPException(
                    status_code=400, detail=f"label: {exc.message} ({exc.hint})"
                ) from exc
        # The page shows a new token's secret once: no cache may keep it.
        return _private(page(request, "account.html", account=user,
                             tokens=auth.accounts.tokens(user.name), issued=issued))  # fmt: skip

    @router.get("/api/me")
    def me(request: Request) -> dict[str, Any]:
        user = auth.require(request)
        return {"name": user.name, "role": user.role.value}

    return router
