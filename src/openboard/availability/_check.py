"""One pass over every evaluated commit: resolve it at its source, record what changed.

A model deleted or made private, or a commit no longer in its history, is unavailable; a source
that cannot answer (the Hub unreachable, say) changes nothing and is reported as not checked.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from openboard.domain import ModelId
from openboard.sources import ModelNotFoundError, ModelSource, RevisionNotFoundError, SourceError
from openboard.store import Commit, Store

ACTOR = "availability-check"


@dataclass(frozen=True, slots=True)
class CommitCheck:
    commit: Commit
    available: bool | None  # None: the source could not answer
    reason: str | None
    changed_requests: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class AvailabilityReport:
    checks: list[CommitCheck] = field(default_factory=list)

    @property
    def unavailable(self) -> list[CommitCheck]:
        return [c for c in self.checks if c.available is False]

    @property
    def unchecked(self) -> list[CommitCheck]:
        return [c for c in self.checks if c.available is None]

    @property
    def changed(self) -> list[CommitCheck]:
        return [c for c in self.checks if c.changed_requests]


def check_availability(
    store: Store,
    source: ModelSource,
    clock: Callable[[], datetime],
    model: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> AvailabilityReport:
    commits = store.availability.evaluated_commits(model)
    report = AvailabilityReport()
    for done, commit in enumerate(commits, start=1):
        report.checks.append(_check(store, source, commit, clock))
        if progress is not None:
            progress(done, len(commits))
    return report


def _check(
    store: Store, source: ModelSource, commit: Commit, clock: Callable[[], datetime]
) -> CommitCheck:
    reason: str | None = None
    try:
        source.resolve(ModelId.parse(commit.model), commit.revision)
    except (ModelNotFoundError, RevisionNotFoundError) as exc:
        available, reason = False, exc.message
    except SourceError as exc:
        return CommitCheck(commit, None, exc.message)
    else:
        available = True
    changed = store.availability.record(commit, available, reason, clock(), ACTOR)
    return CommitCheck(commit, available, reason, tuple(changed))
