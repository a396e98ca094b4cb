"""Builds the real services from settings; every command goes through here."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from openboard.config import Settings
from openboard.domain import Precision
from openboard.evaluation import get_suite
from openboard.sources import ModelSource, build_source
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.validation import ValidationPolicy
from openboard.worker import SubprocessEvaluation, Worker

if TYPE_CHECKING:
    from fastapi import FastAPI


def utc_now() -> datetime:
    return datetime.now(UTC)


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
        store = Store.open(settings.database_url)
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

    def worker(self, gpus: str | None = None) -> Worker:
        evaluation = SubprocessEvaluation(self.settings, gpus=gpus, clock=utc_now)
        return Worker(self.settings, self.store, evaluation, utc_now)

    def web_app(self) -> "FastAPI":
        # Imported here: the web stack is only needed by the commands that serve it.
        from openboard.evaluation import all_suites
        from openboard.web import create_app

        return create_app(
            self.store,
            all_suites(self.settings.suites_dir),
            submissions=self.submission(),
            default_suite=self.settings.suite,
            official=frozenset(self.settings.official_providers),
            artifacts=self.settings.artifacts_dir,
        )
