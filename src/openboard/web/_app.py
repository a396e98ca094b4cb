import secrets
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import plotly
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi import Path as FastAPIPath
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.sessions import SessionMiddleware

from openboard import __version__
from openboard.accounts import AccountService
from openboard.domain import ModelType, Precision
from openboard.evaluation import HIDDEN_TEXT_TASKS, Suite
from openboard.moderation import ModerationService
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.web._about import about_payload
from openboard.web._admin import admin_router
from openboard.web._auth import Auth, auth_router, csrf_token
from openboard.web._board import (
    MAX_PAGE,
    OPTIONAL_COLUMNS,
    SIZE_PRESETS,
    BadViewError,
    BoardView,
    all_rows,
    board_parameters,
    board_payload,
    official_namespaces,
    parse_view,
)
from openboard.web._cache import PageCache, SharedPages, page_key
from openboard.web._exports import EXPORTS, contents_records
from openboard.web._links import link, toggle
from openboard.web._markdown import render_card
from openboard.web._model import NotFoundError, model_payload, samples_payload
from openboard.web._oidc import OidcConfig, oidc_router
from openboard.web._plots import MAX_COMPARED, compare_payload, plots_payload
from openboard.web._security import Limits, SecurityMiddleware
from openboard.web._submissions import submissions_router
from openboard.web._submit_form import submit_form_router
from openboard.web._views import queue_payload

_HERE = Path(__file__).parent
MAX_ID = 2**31 - 1
DEFAULT_LIMITS = Limits(max_body_bytes=64 * 1024, api_per_minute=120, logins_per_minute=10)
SESSION_COOKIE = "openboard_session"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"


def create_app(
    store: Store,
    suites: Mapping[str, Suite],
    submissions: SubmissionService | None = None,
    default_suite: str = "starter",
    official: frozenset[str] = frozenset(),
    artifacts: Path | None = None,
    secret_key: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
    cookie_secure: bool = False,
    session_days: float = 14,
    hidden_sample_tasks: tuple[str, ...] = HIDDEN_TEXT_TASKS,
    oidc: OidcConfig | None = None,
) -> FastAPI:
    """The ASGI app. It reads the store and, given `submissions`, takes submissions from signed-in
    users; evaluations run in workers. Without `secret_key`, sessions last as long as the process."""
    app = FastAPI(title="openboard", version=__version__)
    auth = Auth(AccountService(store, lambda: datetime.now(UTC)))
    moderation = ModerationService(store, lambda: datetime.now(UTC))
    cache = PageCache(store)
    app.state.page_cache = cache
    # Added last runs first: the security layer sees every request, then kept pages are answered,
    # sessions are inside both.
    app.add_middleware(
        SessionMiddleware, secret_key=secret_key or secrets.token_urlsafe(32),
        session_cookie=SESSION_COOKIE, max_age=int(session_days * 86400),
        same_site="lax", https_only=cookie_secure,
    )  # fmt: skip
    app.add_middleware(SharedPages, cache=cache, session_cookie=SESSION_COOKIE)
    app.add_middleware(SecurityMiddleware, limits=limits)
    if submissions is not None:
        app.include_router(submissions_router(submissions, auth))
    templates = Jinja2Templates(directory=_HERE / "templates")  # autoescapes every variable
    templates.env.globals.update(link=link, toggle=toggle, render_card=render_card)
    app.mount("/static", StaticFiles(directory=_HERE / "static"), name="static")

    def page(
        request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        # The CSRF token is made only where a page has a form: an anonymous reader's page then
        # sets no cookie, and can be shared from the page cache.
        common = {"version": __version__, "current_user": auth.user(request),
                  "csrf": lambda: csrf_token(request)}  # fmt: skip
        return templates.TemplateResponse(
            request, template, {**common, **context}, status_code=status_code
        )

    def shared(request: Request, render: Callable[[], Response]) -> Response:
        """`render()`, or the same page rendered earlier for another anonymous reader."""
        if "authorization" in request.headers or auth.user(request) is not None:
            return render()
        return cache.page(page_key(request.scope), render)

    app.include_router(auth_router(auth, page))
    if oidc is not None:
        app.include_router(oidc_router(oidc, auth))
    templates.env.globals.update(oidc_label=oidc.label if oidc else None)
    app.include_router(submit_form_router(submissions, auth, page))
    app.include_router(admin_router(store, moderation, auth, page))

    def view_of(request: Request) -> BoardView:
        try:
            return parse_view(
                request.query_params, suites, default_suite, official_namespaces(store, official)
            )
        except BadViewError as exc:
            raise HTTPException(status_code=400, detail=f"{exc.message} ({exc.hint})") from exc

    @app.get("/", response_model=None)
    def leaderboard_page(request: Request) -> Response:
        return shared(request, lambda: render_leaderboard(request))

    def render_leaderboard(request: Request) -> Response:
        view = view_of(request)
        board = board_payload(store, view, view.query.official)
        if request.query_params.get("format") == "json":
            return JSONResponse(board)
        return page(
            request, "leaderboard.html", board=board, view=view, presets=SIZE_PRESETS,
            optional_columns=OPTIONAL_COLUMNS, model_types=list(ModelType),
            precisions=list(Precision), query=request.url.query,
        )  # fmt: skip

    @app.get("/api/leaderboard", openapi_extra=board_parameters(), response_model=None)
    def leaderboard_api(request: Request) -> Response:
        def render() -> Response:
            view = view_of(request)
            return JSONResponse(board_payload(store, view, view.query.official))

        return shared(request, render)

    def export(request: Request, kind: str) -> Response:
        view = view_of(request)
        records = contents_records(all_rows(store, view, view.query.official), view.suite)
        write, media_type = EXPORTS[kind]
        name = f"leaderboard-{view.suite.name}.{kind}"
        return Response(write(records, view.suite), media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    @app.get("/leaderboard.csv")
    def leaderboard_csv(request: Request) -> Response:
        return export(request, "csv")

    @app.get("/leaderboard.parquet")
    def leaderboard_parquet(request: Request) -> Response:
        return export(request, "parquet")

    @app.get("/plots", response_model=None)
    def plots_page(request: Request) -> HTMLResponse | JSONResponse:
        view = view_of(request)
        if request.query_params.get("format") == "json":
            return JSONResponse(plots_payload(store, view))
        # The page draws from its JSON twin; the Pareto front is also a table for readers without JS.
        return page(request, "plots.html", plots=plots_payload(store, view), view=view,
                    query=request.url.query)  # fmt: skip

    @app.get("/api/plots", openapi_extra=board_parameters())
    def plots_api(request: Request) -> dict[str, Any]:
        return plots_payload(store, view_of(request))

    def compared(request: Request) -> dict[str, Any]:
        names = tuple(
            dict.fromkeys(m.strip() for m in request.query_params.get("models", "").split(",")
                          if m.strip())
        )  # fmt: skip
        if len(names) > MAX_COMPARED:
            raise HTTPException(
                status_code=400,
                detail=f"{len(names)} models asked; compare at most {MAX_COMPARED} at once",
            )
        return compare_payload(store, view_of(request), names)

    @app.get("/compare", response_model=None)
    def compare_page(request: Request) -> HTMLResponse | JSONResponse:
        payload = compared(request)
        if request.query_params.get("format") == "json":
            return JSONResponse(payload)
        return page(request, "compare.html", compare=payload, query=request.url.query,
                    models=request.query_params.get("models", ""))  # fmt: skip

    @app.get("/api/compare")
    def compare_api(request: Request) -> dict[str, Any]:
        return compared(request)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # plotly's own bundle from its PyPI package: no CDN, and the version pip installed.
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=604800"},
        )  # fmt: skip

    @app.get("/about", response_model=None)
    def about_page(request: Request) -> HTMLResponse | JSONResponse:
        about = about_payload(suites, default_suite)
        if request.query_params.get("format") == "json":
            return JSONResponse(about)
        return page(request, "about.html", about=about)

    @app.get("/api/about")
    def about_api() -> dict[str, Any]:
        return about_payload(suites, default_suite)

    @app.get("/queue", response_model=None)
    def queue_page(
        request: Request, history_page: int = Query(1, alias="page", ge=1, le=MAX_PAGE)
    ) -> HTMLResponse | JSONResponse:
        queue = queue_payload(store, history_page=history_page)
        if request.query_params.get("format") == "json":
            return JSONResponse(queue)
        return page(request, "queue.html", queue=queue, query=request.url.query)

    @app.get("/api/queue")
    def queue_api(history_page: int = Query(1, alias="page", ge=1, le=MAX_PAGE)) -> dict[str, Any]:
        return queue_payload(store, history_page=history_page)

    def model_of(org: str, name: str) -> dict[str, Any]:
        try:
            return model_payload(store, suites, artifacts, org, name, hidden_sample_tasks)
        except NotFoundError as exc:
            raise HTTPException(status_code=404, detail=f"{exc.message} ({exc.hint})") from exc

    # A model page changes with its requests' events and moderators' actions only (no progress):
    # anonymous readers share it like the board.
    @app.get("/models/{org}/{name}", response_class=HTMLResponse, response_model=None)
    def model_page(request: Request, org: str, name: str) -> Response:
        return shared(request, lambda: page(request, "model.html", model=model_of(org, name)))

    @app.get("/api/models/{org}/{name}", response_model=None)
    def model_api(request: Request, org: str, name: str) -> Response:
        return shared(request, lambda: JSONResponse(model_of(org, name)))

    def samples_of(
        org: str, name: str, request_id: int, task: str | None, wrong: bool, page_number: int
    ) -> dict[str, Any]:
        try:
            return samples_payload(
                store, artifacts, org, name, request_id, task or None, wrong, page_number,
                hidden_sample_tasks,
            )  # fmt: skip
        except NotFoundError as exc:
            raise HTTPException(status_code=404, detail=f"{exc.message} ({exc.hint})") from exc

    @app.get("/models/{org}/{name}/samples/{request_id}", response_class=HTMLResponse)
    def samples_page(
        request: Request, org: str, name: str, request_id: Annotated[int, FastAPIPath(ge=1, le=MAX_ID)],
        task: str | None = None,
        wrong: bool = False, page_number: int = Query(1, alias="page", ge=1, le=MAX_PAGE),
    ) -> HTMLResponse:  # fmt: skip
        samples = samples_of(org, name, request_id, task, wrong, page_number)
        return page(request, "samples.html", samples=samples, query=request.url.query)

    @app.get("/api/models/{org}/{name}/samples/{request_id}")
    def samples_api(
        org: str, name: str, request_id: Annotated[int, FastAPIPath(ge=1, le=MAX_ID)],
        task: str | None = None, wrong: bool = False,
        page_number: int = Query(1, alias="page", ge=1, le=MAX_PAGE),
    ) -> dict[str, Any]:  # fmt: skip
        return samples_of(org, name, request_id, task, wrong, page_number)

    return app
