import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Unpack

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.middleware.sessions import SessionMiddleware

from openboard import __version__
from openboard.domain import SearchDeadlineError
from openboard.evaluation import Suite
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.web._about import about_router
from openboard.web._admin import admin_router
from openboard.web._auth import auth_router
from openboard.web._board import BadViewError
from openboard.web._cache import SharedPages
from openboard.web._feeds import feeds_router
from openboard.web._leaderboard import leaderboard_router
from openboard.web._model import NotFoundError, models_router
from openboard.web._oidc import oidc_router
from openboard.web._operations import RequestTimer, operations_router
from openboard.web._plots import plots_router
from openboard.web._requests import requests_router
from openboard.web._security import SecurityMiddleware
from openboard.web._services import Services, WebSettings, WebSettingsFields
from openboard.web._startup import warm_start
from openboard.web._submissions import submissions_router
from openboard.web._submit_form import submit_form_router
from openboard.web._views import queue_router
from openboard.web._webhooks import account_webhooks, webhooks_router

_HERE = Path(__file__).parent
SESSION_COOKIE = "openboard_session"


def create_app(
    store: Store,
    suites: Mapping[str, Suite],
    submissions: SubmissionService | None = None,
    **settings: Unpack[WebSettingsFields],
) -> FastAPI:
    """The ASGI app. It reads the store and, given `submissions`, takes submissions from signed-in
    users; evaluations run in workers. `settings` are WebSettings' fields."""
    return build_app(Services(store, suites, submissions, WebSettings(**settings)))


def build_app(services: Services) -> FastAPI:
    settings = services.settings
    lifespan = warm_start(services.store, services.templates, settings.board_read_model)
    app = FastAPI(title="openboard", version=__version__, lifespan=lifespan)
    app.state.page_cache = services.cache
    # Added last runs first: the security layer sees every request, then kept pages are answered,
    # sessions are inside both.
    app.add_middleware(
        SessionMiddleware, secret_key=settings.secret_key or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE, max_age=int(settings.session_days * 86400),
        same_site="lax", https_only=settings.cookie_secure,
    )  # fmt: skip
    app.add_middleware(SharedPages, cache=services.cache, session_cookie=SESSION_COOKIE)
    app.add_middleware(SecurityMiddleware, limits=settings.limits)
    registry = CollectorRegistry()
    if settings.metrics.enabled:  # outermost: it times everything, refusals and cached pages too
        app.add_middleware(RequestTimer, registry=registry)
    # The board's routes first: most requests are for them, and FastAPI tries the routers in
    # order (each one it passes cost a board request ~0.01 ms).
    app.include_router(leaderboard_router(services))
    app.include_router(operations_router(services.store, settings.metrics, registry))
    app.add_exception_handler(NotFoundError, _answer(404))
    app.add_exception_handler(BadViewError, _answer(400))
    app.add_exception_handler(SearchDeadlineError, _search_deadline)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")
    if services.submissions is not None:
        app.include_router(submissions_router(services.submissions, services.auth))
    app.include_router(auth_router(services.auth, services.render))
    if settings.oidc is not None:
        app.include_router(oidc_router(settings.oidc, services.auth))
    app.include_router(submit_form_router(services.submissions, services.auth, services.render))
    app.include_router(admin_router(services))
    app.include_router(webhooks_router(services))
    app.include_router(requests_router(services))
    services.templates.env.globals.update(
        account_webhooks=lambda user: account_webhooks(services, user),
        admin_webhook_deliveries=lambda: services.store.webhooks.deliveries(everyone=True, limit=50),
        voted_by=lambda user: services.store.votes.voted_by(user.name) if user else set(),
    )  # fmt: skip
    for router in (
        plots_router,
        about_router,
        queue_router,
        models_router,
        feeds_router,
    ):
        app.include_router(router(services))
    return app


def _answer(status: int) -> Callable[[Request, Exception], JSONResponse]:
    def handle(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handle


def _search_deadline(request: Request, exc: Exception) -> JSONResponse:
    # The database stopped the search; the next one may be lighter, or the server less busy.
    parameter = getattr(exc, "parameter", "q")
    return JSONResponse(
        {"detail": str(exc), "parameter": parameter}, status_code=503, headers={"Retry-After": "5"}
    )
