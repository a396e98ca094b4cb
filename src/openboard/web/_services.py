"""What every router is given: the store, the suites, the web settings and the services built from
them once per app (sign-in, moderation, the page cache, the templates)."""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from openboard import __version__
from openboard.accounts import AccountService
from openboard.evaluation import HIDDEN_TEXT_TASKS, Suite
from openboard.moderation import ModerationService
from openboard.notify import WebhookService
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.web._auth import Auth, csrf_token
from openboard.web._board_page import board_main
from openboard.web._cache import PageCache, page_key
from openboard.web._format import FILTERS
from openboard.web._links import link, toggle
from openboard.web._markdown import render_card
from openboard.web._oidc import OidcConfig
from openboard.web._operations import METRICS_OFF, MetricsSettings
from openboard.web._security import Limits
from openboard.web._templating import PageEnvironment

DEFAULT_LIMITS = Limits(max_body_bytes=64 * 1024, api_per_minute=120, logins_per_minute=10)
_TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True, slots=True, kw_only=True)
class WebSettings:
    """How the site is served. Without `secret_key`, sessions last as long as the process."""

    default_suite: str = "starter"
    official: frozenset[str] = frozenset()
    default_origin: str = "all"  # the board's origin filter without one in the URL
    default_prefer: str = "local"  # local | archive | both: for a model + commit in both
    artifacts: Path | None = None  # without it (a read-only mirror of the database) no samples
    secret_key: str | None = None
    limits: Limits = DEFAULT_LIMITS
    cookie_secure: bool = False
    session_days: float = 14
    hidden_sample_tasks: tuple[str, ...] = HIDDEN_TEXT_TASKS
    oidc: OidcConfig | None = None
    metrics: MetricsSettings = METRICS_OFF
    board_read_model: bool = True  # the board in memory, built before the server listens
    webhook_allow_private_targets: bool = False
    votes_per_hour: int = 20


class WebSettingsFields(TypedDict, total=False):
    """WebSettings' fields as keyword arguments (`create_app(store, suites, artifacts=...)`)."""

    default_suite: str
    official: frozenset[str]
    default_origin: str
    default_prefer: str
    artifacts: Path | None
    secret_key: str | None
    limits: Limits
    cookie_secure: bool
    session_days: float
    hidden_sample_tasks: tuple[str, ...]
    oidc: OidcConfig | None
    metrics: MetricsSettings
    board_read_model: bool
    webhook_allow_private_targets: bool
    votes_per_hour: int


class Services:
    def __init__(
        self, store: Store, suites: Mapping[str, Suite], submissions: SubmissionService | None,
        settings: WebSettings,
    ) -> None:  # fmt: skip
        self.store = store
        self.suites = suites
        self.submissions = submissions
        self.settings = settings
        self.auth = Auth(AccountService(store, lambda: datetime.now(UTC)), settings.session_days)
        self.moderation = ModerationService(store, lambda: datetime.now(UTC))
        self.webhooks = WebhookService(
            store, lambda: datetime.now(UTC), settings.webhook_allow_private_targets
        )
        self.cache = PageCache(store)
        self.templates = Jinja2Templates(env=PageEnvironment(_TEMPLATES))  # autoescapes HTML
        self.templates.env.globals.update(
            link=link, toggle=toggle, render_card=render_card, board_main=board_main,
            oidc_label=settings.oidc.label if settings.oidc else None,
        )  # fmt: skip
        self.templates.env.filters.update(FILTERS)

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> HTMLResponse:
        # The CSRF token is made only where a page has a form: an anonymous reader's page then
        # sets no cookie, and can be shared from the page cache.
        common = {"version": __version__, "current_user": self.auth.user(request),
                  "csrf": lambda: csrf_token(request)}  # fmt: skip
        return self.templates.TemplateResponse(
            request, template, {**common, **context}, status_code=status_code
        )

    def shared(self, request: Request, render: Callable[[], Response]) -> Response:
        """`render()`, or the same page rendered earlier for another anonymous reader."""
        if "authorization" in request.headers or self.auth.user(request) is not None:
            return render()
        return self.cache.page(page_key(request.scope), render)
