from datetime import datetime
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
) -> bool:
    """Move `request` from its current status to `new`, with an event; False if another actor moved it first."""
    if new not in ALLOWED_TRANSITIONS[request.status]:
        raise IllegalTransitionError(
            f"request #{request.id} cannot go from {request.status} to {new}",
            f"allowed from {request.status}: {', '.join(sorted(ALLOWED_TRANSITIONS[request.status])) or 'nothing'}",
        )
    change = StatusChange(
        request_id=request.id,
        expected=request.status,
        new=new,
        actor=actor,
        at=at,
        message=message,
        fields=dict(fields or {}),
        task_scores=list(task_scores or []),
        benchmark_scores=list(benchmark_scores or []),
    )
    return store.apply_status_change(change)


def claim_next(store: Store, worker: str, now: datetime) -> EvalRequest | None:
    """Take the oldest PENDING request for `worker`; two workers never get the same one."""
    while True:
        candidates = store.oldest_pending_ids()
        if not candidates:
            return None
        for request_id in candidates:
            request = store.get_request(request_id)
            if request is None or request.status is not Status.PENDING:
                continue
            claimed = transition(
                store,
                request,
                Status.RUNNING,
                actor=worker,
                at=now,
                message=f"claimed by {worker} (attempt {request.attempts + 1})",
                fields={
                    "worker": worker,
                    "job_start_time": now,
                    "attempts": request.attempts + 1,
                    "failure_reason": None,
                    "failure_kind": None,
                    "log_tail": None,
                    "progress_done": None,
                    "progress_total": None,
                },
            )
            if claimed:
                return store.get_request(request_id)


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
