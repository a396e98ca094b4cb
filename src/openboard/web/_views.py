"""The queue's read side, shared by its page, its JSON twin and the CLI: plain JSON-ready dicts."""

import statistics
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query

from openboard.domain import Status
from openboard.store import EvalRequest, Event, Store
from openboard.web._board import MAX_PAGE
from openboard.web._pages import PageData, page_and_twin
from openboard.web._services import Services

QUEUE_SCHEMA_VERSION = 1
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the public queue's format


def request_record(request: EvalRequest) -> dict[str, Any]:
    """The public queue's request record, plus openboard's own fields."""
    return {
        "id": request.id,
        "model": request.model,
        "base_model": request.base_model or "",
        "revision": request.revision,
        "requested_revision": request.requested_revision,
        "precision": request.precision.value,
        "params": round(request.params / 1e9, 6) if request.params is not None else None,
        "param_count": request.params,
        "architectures": ",".join(request.architectures),
        "weight_type": request.weight_type.value,
        "status": request.status.value,
        "submitted_time": request.submitted_time.strftime(TIME_FORMAT),
        "model_type": f"{request.model_type.symbol} : {request.model_type.value}",
        "job_id": request.job_id,
        "job_start_time": request.job_start_time.strftime(TIME_FORMAT)
        if request.job_start_time
        else None,
        "use_chat_template": request.use_chat_template,
        "sender": request.sender,
        "attempts": request.counted_attempts,  # of the budget; an admin's requeue resets it
        "priority": request.priority,
        # An admin's contamination switch; None: the suite's setting decides.
        "contamination_check": request.contamination_check,
        "worker": request.worker,
        "heartbeat_at": request.heartbeat_at.strftime(TIME_FORMAT)
        if request.heartbeat_at
        else None,
        "progress": {
            "done": request.progress_done,
            "total": request.progress_total,
            "percent": round(100 * request.progress_done / request.progress_total, 1)
            if request.progress_done is not None and request.progress_total
            else None,
        },
        "failure_reason": request.failure_reason,
        "failure_kind": request.failure_kind.value if request.failure_kind else None,
        "log_tail": request.log_tail,
        "suite": request.suite,
        "origin": request.origin.value,  # local, or archive: the public leaderboard's
        "eval_seconds": request.eval_seconds,
        "co2_kg": request.co2_kg,
        "eval_backend": request.eval_backend,
        "eval_tokens": request.eval_tokens,
        "tokens_per_second": request.tokens_per_second,
        "device_hours": request.device_hours,
        "gpu_hours": request.gpu_hours,
    }


def history_records(history: list[Event]) -> list[dict[str, Any]]:
    """A request's story, oldest first: submitted, claimed by which worker, lost, handed back,
    requeued by whom and why, finished or failed."""
    return [
        {
            "at": event.at.strftime(TIME_FORMAT),
            "kind": event.kind,
            "actor": event.actor,
            "from_status": event.from_status.value if event.from_status else None,
            "to_status": event.to_status.value if event.to_status else None,
            "claim": event.attempt,  # the n-th claim it is about (the fencing token), or None
            "message": event.message,
        }
        for event in history
    ]


ACTIVE = frozenset({Status.PENDING, Status.RUNNING})
ENDED = frozenset({Status.FINISHED, Status.FAILED, Status.CANCELLED})


def queue_payload(
    store: Store, now: datetime | None = None, history_page: int = 1, history_per_page: int = 100
) -> dict[str, Any]:
    """Every pending and running request, then a page of ended ones, newest first; pending ones
    with their position in the order workers take them and an estimated start from recent run
    times (median) and how many run at once."""
    now = now or datetime.now(UTC)
    active = store.requests_with_status(ACTIVE)
    ended = store.requests_with_status(
        ENDED, (history_page - 1) * history_per_page, history_per_page, newest_first=True
    )
    requests = active + ended
    counts = store.status_counts()
    ended_total = sum(counts[s] for s in ENDED)
    positions = {rid: n for n, rid in enumerate(store.queue.pending_in_order(), start=1)}
    running = [r for r in requests if r.status is Status.RUNNING]
    recent = store.queue.recent_eval_seconds()
    typical = statistics.median(recent) if recent else None
    parallel = max(1, len(running))
    histories = store.histories([r.id for r in requests])
    votes = store.votes.counts([r.id for r in active if r.status is Status.PENDING])

    def estimated_start(request_id: int) -> str | None:
        position = positions.get(request_id)
        if position is None or typical is None:
            return None
        # The running ones are on average half done; then each round of `parallel` takes `typical`.
        wait = (0.5 if running else 0.0) * typical + ((position - 1) // parallel) * typical
        return (now + timedelta(seconds=wait)).strftime(TIME_FORMAT)

    return {
        "schema_version": QUEUE_SCHEMA_VERSION,
        "counts": {s.value: n for s, n in counts.items()},
        "typical_eval_seconds": typical,
        "history": {
            "page": history_page,
            "per_page": history_per_page,
            "pages": max(1, -(-ended_total // history_per_page)),
        },
        "requests": [
            {
                **request_record(r),
                "history": history_records(histories.get(r.id, [])),
                "position": positions.get(r.id),
                "votes": votes.get(r.id, 0),
                "estimated_start": estimated_start(r.id),
                "elapsed_seconds": (now - r.job_start_time).total_seconds()
                if r.status is Status.RUNNING and r.job_start_time is not None
                else None,
            }
            for r in requests
        ],
    }


def queue_router(services: Services) -> APIRouter:
    router = APIRouter()

    @page_and_twin(router, services, "/queue", "/api/queue", "queue.html", "queue")
    def queue(
        history_page: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
    ) -> PageData:
        return PageData(queue_payload(services.store, history_page=history_page))

    return router
