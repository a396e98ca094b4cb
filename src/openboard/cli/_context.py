"""Builds the real services from settings; every command goes through here."""

import getpass
import os
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from openboard.accounts import AccountService
from openboard.config import Settings
from openboard.domain import OpenboardError, Precision
from openboard.evaluation import get_suite
from openboard.notify import DeliverySettings, Notifier, WebhookService
from openboard.sources import ModelSource, build_source
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.validation import ValidationPolicy
from openboard.worker import SubprocessEvaluation, Worker

if TYPE_CHECKING:
    from fastapi import FastAPI

    from openboard.web import OidcConfig


def utc_now() -> datetime:
    return datetime.now(UTC)


def operator() -> str:
    """Who runs an operator command, for the audit log: $OPENBOARD_USER or the login name."""
    return os.environ.get("OPENBOARD_USER") or getpass.getuser()


def build_policy(settings: Settings) -> ValidationPolicy:
    return ValidationPolicy(
        max_params_high_precision=settings.max_params_billions * 1e9,
        max_params_quantized_base=settings.max_params_quantized_billions * 1e9,
        quantized_factors={
            Precision.INT8: settings.size_factor_8bit,
            Precision.INT4: settings.size_factor_4bit,
        },
        gptq_factors=dict(settings.gptq_size_factors),
        min_card_chars=settings.min_card_chars,
        allow_private=settings.allow_private,
        allow_gated=settings.allow_gated,
        rate_limit_count=settings.rate_limit_count,
        rate_limit_days=settings.rate_limit_days,
        official_providers=frozenset(settings.official_providers),
    )


@dataclass
class Context:
    settings: Settings
    store: Store
    source: ModelSource

    @classmethod
    def open(cls, settings: Settings) -> "Context":
        settings.home.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.database_url, settings.database_busy_timeout_seconds,
                           settings.search_deadline_seconds)  # fmt: skip
        return cls(settings=settings, store=store, source=build_source(settings))

    def submission(self) -> SubmissionService:
        get_suite(
            self.settings.suite, self.settings.suites_dir
        )  # a typo fails now, not in the worker
        return SubmissionService(
            source=self.source,
            store=self.store,
            policy=build_policy(self.settings),
            clock=utc_now,
            suite=self.settings.suite,
        )

    def accounts(self) -> AccountService:
        return AccountService(self.store, utc_now)

    def notifier(self) -> Notifier:
        settings = self.settings
        secret = settings.webhook_secret
        return Notifier(self.store, DeliverySettings(
            urls=tuple(settings.webhook_urls),
            secret=secret.get_secret_value() if secret is not None else None,
            timeout_seconds=settings.webhook_timeout_seconds,
            max_attempts=settings.webhook_max_attempts,
            backoff_seconds=settings.webhook_backoff_seconds,
            poll_seconds=settings.webhook_poll_seconds,
            allow_private_targets=settings.webhook_allow_private_targets,
        ), utc_now)  # fmt: skip

    def webhooks(self) -> WebhookService:
        return WebhookService(self.store, utc_now, self.settings.webhook_allow_private_targets)

    def worker(self, gpus: str | None = None) -> Worker:
        evaluation = SubprocessEvaluation(self.settings, gpus=gpus, clock=utc_now)
        return Worker(self.settings, self.store, evaluation, utc_now)

    def web_app(self) -> "FastAPI":
        # Imported here: the web stack is only needed by the commands that serve it.
        from openboard.evaluation import all_suites
        from openboard.web import Limits, MetricsSettings, create_app

        settings = self.settings
        return create_app(
            self.store,
            all_suites(self.settings.suites_dir),
            submissions=self.submission(),
            default_suite=self.settings.suite,
            official=frozenset(self.settings.official_providers),
            default_origin=self.settings.board_origin,
            default_prefer=self.settings.board_prefer,
            artifacts=self.settings.artifacts_dir,
            secret_key=self.secret_key(),
            limits=Limits(
                max_body_bytes=settings.max_body_kib * 1024,
                api_per_minute=settings.api_requests_per_minute,
                logins_per_minute=settings.login_attempts_per_minute,
            ),
            cookie_secure=settings.cookie_secure,
            session_days=settings.session_days,
            hidden_sample_tasks=tuple(p.lower() for p in settings.hidden_sample_tasks),
            oidc=self.oidc(),
            metrics=MetricsSettings(
                enabled=settings.metrics_enabled or settings.metrics_token is not None,
                token=settings.metrics_token.get_secret_value() if settings.metrics_token else None,
            ),
            board_read_model=settings.board_read_model,
            webhook_allow_private_targets=settings.webhook_allow_private_targets,
            votes_per_hour=settings.votes_per_hour,
        )

    def oidc(self) -> "OidcConfig | None":
        from openboard.web import OidcConfig

        settings = self.settings
        if not settings.oidc_issuer:
            return None
        if not settings.oidc_client_id or settings.oidc_client_secret is None:
            raise OpenboardError(
                "oidc_issuer is set without oidc_client_id and oidc_client_secret",
                "register openboard with the provider and set both, or unset oidc_issuer",
            )
        return OidcConfig(
            issuer=settings.oidc_issuer, client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret.get_secret_value(),
            label=settings.oidc_label,
        )  # fmt: skip

    def secret_key(self) -> str:
        """The session-signing key: from the settings, or made once and kept in <home>/secret_key
        (readable by its owner only) so that sign-ins survive a restart."""
        if self.settings.secret_key is not None:
            return self.settings.secret_key.get_secret_value()
        path = self.settings.home / "secret_key"
        if not path.exists():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as stream:
                stream.write(secrets.token_urlsafe(48))
        return path.read_text().strip()
