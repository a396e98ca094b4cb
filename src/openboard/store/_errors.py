from datetime import datetime

from openboard.domain import OpenboardError


class StoreError(OpenboardError):
    pass


class BoardWouldWaitError(StoreError):
    """A board read inside `board_reads_never_wait()` would have waited (for the read model to
    catch up, or on SQL): the caller reads it again where waiting is allowed."""


class AdmissionError(StoreError):
    """A rule checked in the same transaction that queues a request; `check` names the rule."""

    check = "admission"


class DuplicateRequestError(AdmissionError):
    """(model, sha, precision) is already pending, running or finished."""

    check = "duplicate"

    def __init__(
        self, existing_id: int, status: str, model: str, revision: str, precision: str
    ) -> None:
        super().__init__(
            f"{model} at {revision[:12]} in {precision} is already {status} (request #{existing_id})",
            "wait for that evaluation, or submit another revision or precision",
        )
        self.existing_id = existing_id
        self.status = status


class BlockedModelError(AdmissionError):
    check = "blocklist"

    def __init__(self, model: str, pattern: str, reason: str) -> None:
        by = "" if pattern == model else f" (blocklist entry {pattern})"
        super().__init__(
            f"{model} is on the blocklist{by}: {reason}",
            "contact the operator if you believe this is a mistake",
        )
        self.pattern = pattern


class RateLimitError(AdmissionError):
    check = "rate_limit"

    def __init__(
        self, namespace: str, count: int, limit: int, days: float, retry_at: datetime
    ) -> None:
        super().__init__(
            f"namespace {namespace!r} submitted {count} models in the last {days:g} days; the limit is {limit}",
            f"submit again after {retry_at:%Y-%m-%d %H:%M} UTC, or ask the operator to list "
            f"{namespace!r} as an official provider",
        )
        self.retry_at = retry_at


class DatabaseUnavailableError(StoreError):
    """The database refused or timed out a statement: locked longer than the busy timeout, down,
    restarting, or unreachable. Mapped once from the driver's error at the engine (`_engine.py`),
    so that no layer above `store` sees SQLAlchemy. Worth retrying: nothing was written."""

    def __init__(self, reason: str) -> None:
        super().__init__(
            f"cannot use the database: {reason}",
            "check OPENBOARD_DATABASE_URL and that the server is running; a lock held by another "
            "process (a backup, a long transaction) clears when it ends",
        )
        self.reason = reason
