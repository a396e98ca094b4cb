"""The queue's SQL. A request's status moves as a `Transition` carrying a typed change, which
`_columns` maps to columns (the one place that does); the writes of a running attempt (lease, job,
progress) are fenced by `_current`, so a worker whose attempt was superseded changes nothing."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Engine,
    Integer,
    Select,
    and_,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY

from openboard.domain import BenchmarkScore, FailureKind, Status, TaskScore
from openboard.store._audit import record
from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._records import AuditEntry, EvalRequest, EvaluationCost
from openboard.store._rows import request_of
from openboard.store._scores import archive_scores, write_scores
from openboard.store._tables import request_votes, requests

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Claim:
    """PENDING → RUNNING: `worker` holds the request for `lease_seconds`, renewable."""

    worker: str
    lease_seconds: float


@dataclass(frozen=True, slots=True)
class Finish:
    average: float
    eval_seconds: float
    co2_kg: float
    task_scores: tuple[TaskScore, ...]
    benchmark_scores: tuple[BenchmarkScore, ...]
    scorer: str | None = None  # the suite scorer that computed the scores; None: not recorded
    cost: EvaluationCost | None = None  # None: not measured (an imported result)


@dataclass(frozen=True, slots=True)
class Fail:
    reason: str
    kind: FailureKind
    log_tail: str | None = None


@dataclass(frozen=True, slots=True)
class Cancel:
    reason: str


class Budget(StrEnum):
    """What going back to the queue does to the attempt budget."""

    SPENT = "spent"  # the attempt counts: its worker was lost, its evaluation killed
    RETURNED = "returned"  # handed back at a worker's shutdown: not the request's doing
    FRESH = "fresh"  # an admin's requeue or re-run: a new budget of max_attempts


@dataclass(frozen=True, slots=True)
class BackToQueue:
    budget: Budget
    # A re-run of a finished evaluation: its scores move to the score history (with `previous`,
    # what the history says of that run) in the same transaction, so the board never shows them
    # as the new run's.
    previous: dict[str, Any] | None = None


Change = Claim | Finish | Fail | Cancel | BackToQueue


@dataclass(frozen=True, slots=True)
class Transition:
    """A compare-and-set of a request's status, built and checked against the transition table
    by `openboard.queue`. `kind` names it in the request's history (claim, finish, lost, ...)."""

    request_id: int
    expected: Status
    attempt: int  # the request's `attempts` when the move was decided: the fence
    new: Status
    change: Change
    actor: str
    at: datetime
    kind: str
    message: str
    audit_action: str | None = None  # set for an operator's move (cancel, requeue): audited
    reason: str = ""  # the operator's own words, for the audit log


# Going back to the queue forgets the attempt that was running; the history keeps its story.
_BACK_TO_QUEUE: dict[str, Any] = {
    "worker": None, "job_id": None, "lease_expires_at": None, "heartbeat_at": None,
    "progress_done": None, "progress_total": None, "finished_time": None,
    "failure_reason": None, "failure_kind": None, "log_tail": None,
}  # fmt: skip

_UNCOUNTED: dict[Budget, Any] = {
    Budget.SPENT: requests.c.uncounted_attempts,
    Budget.RETURNED: requests.c.uncounted_attempts + 1,
    Budget.FRESH: requests.c.attempts,
}


def _columns(change: Change, at: datetime, attempt: int) -> dict[str, Any]:
    match change:
        case Claim(worker, lease_seconds):
            return {
                "worker": worker, "job_start_time": at, "attempts": attempt + 1,
                "lease_expires_at": at + timedelta(seconds=lease_seconds), "heartbeat_at": at,
            }  # fmt: skip
        case Finish():
            return {"finished_time": at, "average": change.average, "scorer": change.scorer,
                    "eval_seconds": change.eval_seconds, "co2_kg": change.co2_kg,
                    **_cost_columns(change.cost)}  # fmt: skip
        case Fail(reason, kind, log_tail):
            return {"finished_time": at, "failure_reason": reason, "failure_kind": kind.value,
                    "log_tail": log_tail}  # fmt: skip
        case Cancel(reason):
            return {"finished_time": at, "failure_reason": reason}
        case BackToQueue(budget, _):
            return {**_BACK_TO_QUEUE, "uncounted_attempts": _UNCOUNTED[budget]}


def _cost_columns(cost: EvaluationCost | None) -> dict[str, Any]:
    return {
        "eval_backend": cost.backend if cost else None,
        "eval_tokens": cost.tokens if cost else None,
        "tokens_per_second": cost.tokens_per_second if cost else None,
        "device_hours": cost.device_hours if cost else None,
        "gpu_hours": cost.gpu_hours if cost else None,
    }


def _current(request_id: int, attempt: int, status: Status = Status.RUNNING) -> ColumnElement[bool]:
    """The attempt fence: the request is still in `status` and still on `attempt`."""
    return and_(
        requests.c.id == request_id,
        requests.c.status == status.value,
        requests.c.attempts == attempt,
    )


def _apply(conn: Connection, move: Transition) -> bool:
    values = {"status": move.new.value, **_columns(move.change, move.at, move.attempt)}
    done = conn.execute(
        update(requests)
        .where(_current(move.request_id, move.attempt, move.expected))
        .values(values)
    )
    if done.rowcount != 1:
        return False
    if isinstance(move.change, Finish):
        write_scores(conn, move.request_id, list(move.change.task_scores),
                     list(move.change.benchmark_scores))  # fmt: skip
    if isinstance(move.change, BackToQueue) and move.change.previous is not None:
        archive_scores(conn, move.request_id, at=move.at, actor=move.actor, kind=move.kind,
                       reason=move.reason, details=move.change.previous)  # fmt: skip
    attempt = move.attempt + 1 if isinstance(move.change, Claim) else move.attempt
    add_event(conn, move.request_id, move.at, move.actor, move.kind, move.message,
              move.expected, move.new, attempt)  # fmt: skip
    if move.audit_action is not None:
        record(conn, AuditEntry(
            move.actor, move.audit_action, f"request {move.request_id}", move.reason, move.at,
            {"from": move.expected.value, "to": move.new.value},
        ))  # fmt: skip
    return True


class QueueStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def apply(self, move: Transition) -> bool:
        """Make `move` if the request is still where it was decided; False when someone else moved
        it first (another worker, the reaper, an admin)."""
        with self._engine.begin() as conn:
            return _apply(conn, move)

    def claim(
        self, candidates: list[int], clock: Clock,
        move: Callable[[int, int, int, datetime], Transition],
    ) -> int | None:  # fmt: skip
        """The first candidate still PENDING (in the given order), moved by `move(id, attempts,
        counted attempts, now)`, in one transaction. `now` is read once the lock is held, so a
        claim that waited for a lock does not commit a lease that is already running out.

        PostgreSQL locks that row with FOR UPDATE SKIP LOCKED, so concurrent workers pass over a
        row another is taking instead of waiting for it; SQLite's BEGIN IMMEDIATE serializes claims."""
        if not candidates:
            return None
        with self._engine.begin() as conn:
            query = select(requests.c.id, requests.c.attempts, requests.c.uncounted_attempts).where(
                requests.c.id.in_(candidates), requests.c.status == Status.PENDING.value
            )
            if conn.dialect.name == "postgresql":
                position = func.array_position(literal(candidates, ARRAY(Integer)), requests.c.id)
                query = query.order_by(position).limit(1).with_for_update(skip_locked=True)
                row = conn.execute(query).first()
            else:
                rank = {request_id: n for n, request_id in enumerate(candidates)}
                row = min(conn.execute(query).all(), key=lambda r: rank[r.id], default=None)
            if row is None:
                return None
            attempts = int(row.attempts)
            taken = move(int(row.id), attempts, attempts - int(row.uncounted_attempts), clock())
            return int(row.id) if _apply(conn, taken) else None

    def renew(self, request_id: int, attempt: int, clock: Clock, lease_seconds: float) -> bool:
        """Extend a running attempt's lease from the time the write holds the lock; False when
        the attempt is no longer current (cancelled, timed out, reclaimed): its worker must stop."""
        with self._engine.begin() as conn:
            now = clock()
            done = conn.execute(
                update(requests)
                .where(_current(request_id, attempt))
                .values(lease_expires_at=now + timedelta(seconds=lease_seconds), heartbeat_at=now)
            )
        return done.rowcount == 1

    def set_job(
        self, request_id: int, attempt: int, job_id: str, start_time: datetime | None = None
    ) -> bool:
        """Record the batch job that runs this attempt (the public queue's job_id, job_start_time)."""
        values: dict[str, Any] = {"job_id": job_id}
        if start_time is not None:
            values["job_start_time"] = start_time
        with self._engine.begin() as conn:
            done = conn.execute(
                update(requests).where(_current(request_id, attempt)).values(values)
            )
        return done.rowcount == 1

    def set_progress(self, request_id: int, attempt: int, done: int, total: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(requests)
                .where(_current(request_id, attempt))
                .values(progress_done=done, progress_total=total)
            )

    def pending_in_order(self, limit: int | None = None) -> list[int]:
        """PENDING request ids in the order workers take them: admin priority first, then fair
        share (each namespace's next request takes its turn, counting what it already has
        running; its most-voted request is its next), then votes, then submission time."""
        with self._reader.connect() as conn:
            return [int(row[0]) for row in conn.execute(_queue_order(limit))]

    def running_jobs(self, worker_prefix: str) -> list[EvalRequest]:
        """RUNNING requests that a launcher (`worker` starting with the prefix) handed to jobs."""
        return self._running(requests.c.worker.startswith(worker_prefix, autoescape=True))

    def expired_leases(self, now: datetime) -> list[EvalRequest]:
        return self._running(requests.c.lease_expires_at < now)

    def running_since(self, before: datetime) -> list[EvalRequest]:
        return self._running(requests.c.job_start_time < before)

    def _running(self, condition: ColumnElement[bool]) -> list[EvalRequest]:
        query = select(requests).where(requests.c.status == Status.RUNNING.value, condition)
        with self._reader.connect() as conn:
            return [request_of(row) for row in conn.execute(query).mappings()]

    def recent_eval_seconds(self, limit: int = 20) -> list[float]:
        query = (
            select(requests.c.eval_seconds)
            .where(requests.c.status == Status.FINISHED.value, requests.c.eval_seconds.is_not(None))
            .order_by(requests.c.finished_time.desc())
            .limit(limit)
        )
        with self._reader.connect() as conn:
            return [float(row[0]) for row in conn.execute(query)]


def _queue_order(limit: int | None) -> Select[Any]:
    running = (
        select(requests.c.namespace, func.count().label("running"))
        .where(requests.c.status == Status.RUNNING.value)
        .group_by(requests.c.namespace)
        .subquery()
    )
    votes = (
        select(request_votes.c.request_id, func.count().label("votes"))
        .group_by(request_votes.c.request_id)
        .subquery()
    )
    voted = func.coalesce(votes.c.votes, 0)
    # Votes order a namespace's own requests and break ties between namespaces at the same turn:
    # they never give a namespace a turn before another's (fair share holds).
    turn = func.row_number().over(
        partition_by=requests.c.namespace,
        order_by=(requests.c.priority.desc(), voted.desc(), requests.c.submitted_time,
                  requests.c.id),
    )  # fmt: skip
    pending = (
        select(
            requests.c.id,
            requests.c.priority,
            requests.c.submitted_time,
            voted.label("votes"),
            (turn + func.coalesce(running.c.running, 0)).label("turn"),
        )
        .select_from(
            requests.outerjoin(running, running.c.namespace == requests.c.namespace).outerjoin(
                votes, votes.c.request_id == requests.c.id
            )
        )
        .where(requests.c.status == Status.PENDING.value)
        .subquery()
    )
    query = select(pending.c.id).order_by(
        pending.c.priority.desc(), pending.c.turn, pending.c.votes.desc(),
        pending.c.submitted_time, pending.c.id,
    )  # fmt: skip
    return query.limit(limit) if limit else query
