"""Facts an operator watches (for /metrics, /readyz and `openboard status`), each read in one
aggregate query so that a scrape costs the same at 1,000 and at 1,000,000 requests."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Float,
    and_,
    case,
    cast,
    func,
    select,
    text,
)
from sqlalchemy.exc import SQLAlchemyError

from openboard.domain import Status
from openboard.store._engine import reader_of
from openboard.store._errors import DatabaseUnavailableError
from openboard.store._migrate import HEAD_REVISION, current_revision
from openboard.store._tables import requests
from openboard.store._time import as_utc

__all__ = ["Histogram", "OperationalFacts", "operational_facts", "readiness"]


@dataclass(frozen=True, slots=True)
class Histogram:
    """Cumulative counts per upper bound (Prometheus' form), the count and the sum, in seconds."""

    buckets: tuple[tuple[float, int], ...]
    count: int
    total: float


@dataclass(frozen=True, slots=True)
class OperationalFacts:
    by_status: dict[Status, int]
    failures_by_kind: dict[str, int]
    queue_wait: Histogram  # submission to the start of the evaluation, of every started request
    evaluation: Histogram  # wall time of every finished evaluation
    workers_alive: int  # distinct workers holding a lease that has not expired
    last_result_at: datetime | None


def operational_facts(
    engine: Engine, now: datetime, wait_buckets: Sequence[float], eval_buckets: Sequence[float]
) -> OperationalFacts:
    reader = reader_of(engine)
    c = requests.c
    with reader.connect() as conn:
        by_status = {Status(s): int(n) for s, n in conn.execute(
            select(c.status, func.count()).group_by(c.status)
        )}  # fmt: skip
        failures = {str(k or "unknown"): int(n) for k, n in conn.execute(
            select(c.failure_kind, func.count()).where(c.status == Status.FAILED.value)
            .group_by(c.failure_kind)
        )}  # fmt: skip
        wait = _histogram(conn, _seconds_between(engine, c.submitted_time, c.job_start_time),
                          c.job_start_time.is_not(None), wait_buckets)  # fmt: skip
        evaluation = _histogram(conn, c.eval_seconds,
                                and_(c.status == Status.FINISHED.value, c.eval_seconds.is_not(None)),
                                eval_buckets)  # fmt: skip
        alive = conn.execute(
            select(func.count(func.distinct(c.worker))).where(
                c.status == Status.RUNNING.value, c.lease_expires_at > now
            )
        ).scalar_one()
        last = conn.execute(
            select(func.max(c.finished_time)).where(c.status == Status.FINISHED.value)
        ).scalar_one()
    return OperationalFacts(
        by_status={s: by_status.get(s, 0) for s in Status}, failures_by_kind=failures,
        queue_wait=wait, evaluation=evaluation, workers_alive=int(alive),
        last_result_at=_as_time(last),
    )  # fmt: skip


def readiness(engine: Engine) -> str | None:
    """None when the database answers and its schema is this version's; otherwise the reason."""
    try:
        with reader_of(engine).connect() as conn:
            conn.execute(text("SELECT 1"))
        revision = current_revision(reader_of(engine))
    except DatabaseUnavailableError as exc:
        return f"the database does not answer: {exc.reason[:200]}"
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        return f"the database does not answer: {str(cause).strip().splitlines()[0][:200]}"
    if revision != HEAD_REVISION:
        return f"the database is at schema {revision}, this openboard needs {HEAD_REVISION}: run openboard init"
    return None


def _histogram(
    conn: Connection, seconds: ColumnElement[float], where: ColumnElement[bool],
    bounds: Sequence[float],
) -> Histogram:  # fmt: skip
    columns: list[ColumnElement[Any]] = [func.count(), func.coalesce(func.sum(seconds), 0.0)]
    columns += [func.coalesce(func.sum(case((seconds <= b, 1), else_=0)), 0) for b in bounds]
    row = conn.execute(select(*columns).where(where)).one()
    count, total, *under = row
    return Histogram(
        buckets=tuple((b, int(n)) for b, n in zip(bounds, under, strict=True)),
        count=int(count), total=float(total),
    )  # fmt: skip


def _seconds_between(
    engine: Engine, start: ColumnElement[datetime], end: ColumnElement[datetime]
) -> ColumnElement[float]:
    if engine.dialect.name == "sqlite":
        return cast((func.julianday(end) - func.julianday(start)) * 86400.0, Float)
    return cast(func.extract("epoch", end - start), Float)


def _as_time(value: object) -> datetime | None:
    # SQLite answers an aggregate over a DateTime column with its stored text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return as_utc(value) if isinstance(value, datetime) else None
