"""A request's life as named operations. Each checks its move against `ALLOWED_TRANSITIONS`, the
one transition table, and hands the store a typed change; the store maps it to columns."""

from collections.abc import Callable
from datetime import datetime, timedelta

from openboard.domain import BenchmarkScore, FailureKind, OpenboardError, Status, TaskScore
from openboard.store import (
    BackToQueue,
    Budget,
    Cancel,
    Change,
    Claim,
    Clock,
    EvalRequest,
    EvaluationCost,
    Fail,
    Finish,
    Store,
    Transition,
)

ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.RUNNING, Status.CANCELLED, Status.FAILED}),
    Status.RUNNING: frozenset({Status.FINISHED, Status.FAILED, Status.PENDING, Status.CANCELLED}),
    Status.FINISHED: frozenset({Status.PENDING}),  # re-run by an admin
    Status.FAILED: frozenset({Status.PENDING}),  # requeue by an admin
    Status.CANCELLED: frozenset({Status.PENDING}),
}


class IllegalTransitionError(OpenboardError):
    pass


def _check(current: Status, new: Status, request_id: int) -> None:
    if new not in ALLOWED_TRANSITIONS[current]:
        allowed = ", ".join(sorted(ALLOWED_TRANSITIONS[current])) or "nothing"
        raise IllegalTransitionError(
            f"request #{request_id} cannot go from {current} to {new}",
            f"allowed from {current}: {allowed}",
        )


def _move(
    store: Store, request: EvalRequest, new: Status, change: Change, *, actor: str, at: datetime,
    kind: str, message: str, audit_action: str | None = None, reason: str = "",
) -> bool:  # fmt: skip
    """Make the move if `request` is still as read; False when another actor moved it first."""
    _check(request.status, new, request.id)
    return store.queue.apply(Transition(
        request_id=request.id, expected=request.status, attempt=request.attempts, new=new,
        change=change, actor=actor, at=at, kind=kind, message=message, audit_action=audit_action,
        reason=reason,
    ))  # fmt: skip


def _claim(
    store: Store, candidates: list[int], worker: str, clock: Clock, lease: float
) -> int | None:
    _check(Status.PENDING, Status.RUNNING, candidates[0] if candidates else 0)

    def taken(request_id: int, attempts: int, counted: int, now: datetime) -> Transition:
        return Transition(
            request_id=request_id, expected=Status.PENDING, attempt=attempts, new=Status.RUNNING,
            change=Claim(worker, lease), actor=worker, at=now, kind="claim",
            message=f"claimed by {worker} (attempt {counted + 1})",
        )  # fmt: skip

    return store.queue.claim(candidates, clock, taken)


def claim_next(
    store: Store, worker: str, clock: Clock, lease_seconds: float = 60.0
) -> EvalRequest | None:
    """Take the next PENDING request in queue order with a lease; two workers never get the same
    one. The store claims over a window of candidates in one transaction, so competing workers
    skip, not retry, each other's; the lease starts when the claim holds the lock (`clock`)."""
    while True:
        candidates = store.queue.pending_in_order(limit=16)
        if not candidates:
            return None
        claimed = _claim(store, candidates, worker, clock, lease_seconds)
        if claimed is not None:
            return store.get_request(claimed)


def claim(
    store: Store, request: EvalRequest, worker: str, clock: Clock, lease_seconds: float = 60.0
) -> EvalRequest | None:
    """Take this PENDING request (an import records its results at once); None if it is not."""
    if _claim(store, [request.id], worker, clock, lease_seconds) is None:
        return None
    return store.get_request(request.id)


def renew(store: Store, request: EvalRequest, clock: Clock, lease_seconds: float) -> bool:
    """Extend the running attempt's lease; False when it is no longer current: stop it."""
    return store.queue.renew(request.id, request.attempts, clock, lease_seconds)


def finish(
    store: Store,
    request: EvalRequest,
    *,
    actor: str,
    at: datetime,
    task_scores: list[TaskScore],
    benchmark_scores: list[BenchmarkScore],
    average: float,
    eval_seconds: float,
    co2_kg: float,
    scorer: str | None = None,  # the suite scorer that computed the scores; None: not recorded
    cost: EvaluationCost | None = None,  # what it cost; None: not measured (an import)
) -> bool:
    change = Finish(
        average, eval_seconds, co2_kg, tuple(task_scores), tuple(benchmark_scores), scorer, cost
    )
    return _move(store, request, Status.FINISHED, change, actor=actor, at=at, kind="finish",
                 message=f"finished by {actor}: average {average:.2f}")  # fmt: skip


def fail(
    store: Store,
    request: EvalRequest,
    *,
    actor: str,
    at: datetime,
    reason: str,
    kind: FailureKind = FailureKind.HARNESS,
    log_tail: str | None = None,
) -> bool:
    return _move(store, request, Status.FAILED, Fail(reason, kind, log_tail), actor=actor, at=at,
                 kind="fail", message=f"{kind}: {reason}")  # fmt: skip


def cancel(store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str) -> bool:
    """PENDING or RUNNING → CANCELLED; a running worker sees it at its next heartbeat and stops."""
    return _move(store, request, Status.CANCELLED, Cancel(reason), actor=actor, at=at,
                 kind="cancel", message=f"cancelled by {actor}: {reason}",
                 audit_action="request.cancel", reason=reason)  # fmt: skip


def requeue(store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str) -> bool:
    """FAILED or CANCELLED → PENDING for another try (an admin's decision), with a fresh attempt
    budget: the attempts before it do not count against `max_attempts`."""
    if request.status is Status.FINISHED:  # the same move as a re-run, which keeps the scores
        raise IllegalTransitionError(
            f"request #{request.id} is finished; requeue is for failed or cancelled requests",
            "re-run it instead (openboard admin rerun), which keeps its scores in the history",
        )
    spent = request.counted_attempts
    note = f"; the {spent} attempt{'s' * (spent != 1)} before do not count" if spent else ""
    return _move(store, request, Status.PENDING, BackToQueue(Budget.FRESH), actor=actor, at=at,
                 kind="requeue", message=f"requeued by {actor}: {reason}{note}",
                 audit_action="request.requeue", reason=reason)  # fmt: skip


def rerun(store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str) -> bool:
    """FINISHED → PENDING: a new attempt on the same pinned commit (an admin's decision, with a
    fresh attempt budget). The finished run's scores go to the score history in the same
    transaction; the worker that publishes the new run keeps the old run's files beside it."""
    if request.status is not Status.FINISHED:
        raise IllegalTransitionError(
            f"request #{request.id} is {request.status}; only a finished evaluation is re-run",
            "requeue a failed or cancelled request instead",
        )
    finished = request.finished_time.isoformat() if request.finished_time else None
    previous = {"attempt": request.attempts, "finished_time": finished,
                "eval_seconds": request.eval_seconds, "artifacts": previous_run_folder(request.attempts)}  # fmt: skip
    return _move(store, request, Status.PENDING, BackToQueue(Budget.FRESH, previous), actor=actor,
                 at=at, kind="rerun", message=f"re-run by {actor}: {reason}",
                 audit_action="request.rerun", reason=reason)  # fmt: skip


def previous_run_folder(attempt: int) -> str:
    """Where, inside a request's artifacts, the files of its earlier run `attempt` are kept."""
    return f"{PREVIOUS_RUNS}/attempt-{attempt}"


PREVIOUS_RUNS = "history"


def hand_back(store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str) -> bool:
    """RUNNING → PENDING when the worker stops for its own reasons (shutdown): the attempt is
    not counted."""
    return _move(store, request, Status.PENDING, BackToQueue(Budget.RETURNED), actor=actor, at=at,
                 kind="hand_back", message=f"handed back by {actor}: {reason}")  # fmt: skip


def release(
    store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str,
    max_attempts: int, log_tail: str | None = None,
) -> bool:  # fmt: skip
    """An attempt ended without a result and not by the model's doing (its worker was lost, its
    evaluation process killed from outside): back to the queue while attempts remain, FAILED as
    `worker_lost` once `max_attempts` are spent."""
    spent = request.counted_attempts
    if spent >= max_attempts:
        return fail(store, request, actor=actor, at=at, kind=FailureKind.WORKER_LOST,
                    reason=f"worker lost {spent} times; last: {reason}", log_tail=log_tail)  # fmt: skip
    return _move(store, request, Status.PENDING, BackToQueue(Budget.SPENT), actor=actor, at=at,
                 kind="lost", message=f"{reason}; back in the queue (attempt {spent} of {max_attempts})")  # fmt: skip


def reap(
    store: Store,
    now: datetime,
    *,
    max_attempts: int,
    timeout_seconds: float | None,
    log_tail: Callable[[EvalRequest], str | None] = lambda _: None,
    actor: str = "reaper",
) -> list[EvalRequest]:
    """Requests whose worker stopped renewing its lease are released (back to PENDING, or FAILED
    once they used `max_attempts`); requests running past `timeout_seconds` FAIL as timeouts.
    Returns what changed. Safe to run from every worker at once: each move is a compare-and-set."""
    changed: list[EvalRequest] = []
    if timeout_seconds:
        for request in store.queue.running_since(now - timedelta(seconds=timeout_seconds)):
            reason = f"timeout: still running after {timeout_seconds / 60:g} minutes (attempt {request.counted_attempts})"
            if fail(store, request, actor=actor, at=now, reason=reason, kind=FailureKind.TIMEOUT,
                    log_tail=log_tail(request)):  # fmt: skip
                changed.append(request)
    for request in store.queue.expired_leases(now):
        heartbeat = f"{request.heartbeat_at:%H:%M:%S}" if request.heartbeat_at else "never"
        lost = f"worker {request.worker} lost (no heartbeat since {heartbeat})"
        if release(store, request, actor=actor, at=now, reason=lost, max_attempts=max_attempts,
                   log_tail=log_tail(request)):  # fmt: skip
            changed.append(request)
    return changed
