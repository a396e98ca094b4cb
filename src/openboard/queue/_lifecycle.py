from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from openboard.domain import BenchmarkScore, FailureKind, OpenboardError, Status, TaskScore
from openboard.store import EvalRequest, StatusChange, Store

ALLOWED_TRANSITIONS: dict[Status, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.RUNNING, Status.CANCELLED, Status.FAILED}),
    Status.RUNNING: frozenset({Status.FINISHED, Status.FAILED, Status.PENDING, Status.CANCELLED}),
    Status.FINISHED: frozenset(),
    Status.FAILED: frozenset({Status.PENDING}),  # requeue by an admin
    Status.CANCELLED: frozenset({Status.PENDING}),
}


class IllegalTransitionError(OpenboardError):
    pass


def transition(
    store: Store,
    request: EvalRequest,
    new: Status,
    *,
    actor: str,
    at: datetime,
    message: str = "",
    fields: dict[str, Any] | None = None,
    task_scores: list[TaskScore] | None = None,
    benchmark_scores: list[BenchmarkScore] | None = None,
    audit_action: str | None = None,
) -> bool:
    """Move `request` from its current status to `new`, with an event (and an audit record for an
    operator's action); False if another actor moved it first."""
    if new not in ALLOWED_TRANSITIONS[request.status]:
        raise IllegalTransitionError(
            f"request #{request.id} cannot go from {request.status} to {new}",
            f"allowed from {request.status}: {', '.join(sorted(ALLOWED_TRANSITIONS[request.status])) or 'nothing'}",
        )
    change = StatusChange(
        request_id=request.id,
        expected=request.status,
        expected_attempt=request.attempts,
        new=new,
        actor=actor,
        at=at,
        message=message,
        fields=dict(fields or {}),
        task_scores=list(task_scores or []),
        benchmark_scores=list(benchmark_scores or []),
        audit_action=audit_action,
    )
    return store.apply_status_change(change)


def claim_next(
    store: Store, worker: str, now: datetime, lease_seconds: float = 60.0
) -> EvalRequest | None:
    """Take the next PENDING request in queue order with a lease; two workers never get the same one.

    The move is PENDING → RUNNING (allowed by ALLOWED_TRANSITIONS); the store makes it in one
    transaction over a window of candidates, so competing workers skip, not retry, each other's."""
    assert Status.RUNNING in ALLOWED_TRANSITIONS[Status.PENDING]
    while True:
        candidates = store.pending_in_order(limit=16)
        if not candidates:
            return None
        claimed = store.claim(candidates, worker, now, lease_seconds)
        if claimed is not None:
            return store.get_request(claimed)


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
) -> bool:
    return transition(
        store,
        request,
        Status.FINISHED,
        actor=actor,
        at=at,
        message=f"average {average:.2f}",
        fields={
            "finished_time": at,
            "average": average,
            "scorer": scorer,
            "eval_seconds": eval_seconds,
            "co2_kg": co2_kg,
        },
        task_scores=task_scores,
        benchmark_scores=benchmark_scores,
    )


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
    return transition(
        store,
        request,
        Status.FAILED,
        actor=actor,
        at=at,
        message=f"{kind}: {reason}",
        fields={
            "finished_time": at,
            "failure_reason": reason,
            "failure_kind": kind.value,
            "log_tail": log_tail,
        },
    )


def cancel(store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str) -> bool:
    """PENDING or RUNNING → CANCELLED; a running worker sees it at its next heartbeat and stops."""
    return transition(
        store,
        request,
        Status.CANCELLED,
        actor=actor,
        at=at,
        message=reason,
        fields={"finished_time": at, "failure_reason": reason},
        audit_action="request.cancel",
    )


def requeue(store: Store, request: EvalRequest, *, actor: str, at: datetime, reason: str) -> bool:
    """FAILED or CANCELLED → PENDING, for another try (an admin's decision)."""
    return transition(
        store, request, Status.PENDING, actor=actor, at=at, message=reason,
        fields={"finished_time": None, "lease_expires_at": None, "worker": None},
        audit_action="request.requeue",
    )  # fmt: skip


def reap(
    store: Store,
    now: datetime,
    *,
    max_attempts: int,
    timeout_seconds: float | None,
    log_tail: Callable[[EvalRequest], str | None] = lambda _: None,
    actor: str = "reaper",
) -> list[EvalRequest]:
    """Requests whose worker stopped renewing its lease go back to PENDING, or FAILED once they
    used `max_attempts`; requests running past `timeout_seconds` FAIL as timeouts. Returns what
    changed. Safe to run from every worker at once: each move is a compare-and-set."""
    changed: list[EvalRequest] = []
    if timeout_seconds:
        for request in store.running_since(now - timedelta(seconds=timeout_seconds)):
            reason = f"timeout: still running after {timeout_seconds / 60:g} minutes (attempt {request.attempts})"
            if fail(store, request, actor=actor, at=now, reason=reason, kind=FailureKind.TIMEOUT,
                    log_tail=log_tail(request)):  # fmt: skip
                changed.append(request)
    for request in store.expired_leases(now):
        lost = f"worker {request.worker} lost (no heartbeat since {request.heartbeat_at:%H:%M:%S})"
        if request.attempts >= max_attempts:
            moved = fail(
                store, request, actor=actor, at=now, kind=FailureKind.WORKER_LOST,
                reason=f"worker lost {request.attempts} times; last: {lost}",
                log_tail=log_tail(request),
            )  # fmt: skip
        else:
            moved = transition(
                store, request, Status.PENDING, actor=actor, at=now,
                message=f"{lost}; back in the queue (attempt {request.attempts} of {max_attempts})",
                fields={"lease_expires_at": None, "progress_done": None, "progress_total": None},
            )  # fmt: skip
        if moved:
            changed.append(request)
    return changed
