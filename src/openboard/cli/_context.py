"""Builds the real services from settings; every command goes through here."""

from dataclasses import dataclass
from datetime import UTC, datetime

from openboard.config import Settings
from openboard.evaluation import get_suite
from openboard.sources import LocalModelSource
from openboard.store import Store
from openboard.submission import SubmissionService
from openboard.validation import ValidationPolicy
from openboard.worker import Worker


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    settings: Settings
    store: Store
    source: LocalModelSource

    @classmethod
    def open(cls, settings: Settings) -> "Context":
        settings.home.mkdir(parents=True, exist_ok=True)
        store = Store.open(settings.database_url)
        source = LocalModelSource(settings.model_root, settings.checkouts_dir)
        return cls(settings=settings, store=store, source=source)

    def submission(self) -> SubmissionService:
        get_suite(
            self.settings.suite, self.settings.suites_dir
        )  # a typo fails now, not in the worker
        return SubmissionService(
            source=self.source,
            store=self.store,
            policy=ValidationPolicy(),
            clock=utc_now,
            suite=self.settings.suite,
        )

    def worker(self) -> Worker:
        return Worker(self.settings, self.store, self.source, utc_now)
