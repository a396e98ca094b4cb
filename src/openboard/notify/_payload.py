"""What a webhook delivery says: the event and the request as it stands (its scores once
finished, its reason once failed). Pure: the caller reads the request and scores."""

import json
from datetime import datetime
from typing import Any

from openboard.domain import BenchmarkScore
from openboard.store import EvalRequest

SCHEMA_VERSION = 1


def _request(request: EvalRequest, scores: list[BenchmarkScore]) -> dict[str, Any]:
    return {
        "id": request.id,
        "model": request.model,
        "revision": request.revision,
        "precision": request.precision.value,
        "suite": request.suite,
        "status": request.status.value,
        "sender": request.sender,
        "submitted_time": request.submitted_time.isoformat(),
        "average": request.average,
        "scores": {s.benchmark: round(s.normalized, 4) for s in scores} or None,
        "failure_kind": request.failure_kind.value if request.failure_kind else None,
        "failure_reason": request.failure_reason,
    }


def body(
    delivery_id: str, event: str, at: datetime, message: str, *,
    request: EvalRequest | None = None, scores: list[BenchmarkScore] | None = None,
    model: str | None = None,
) -> str:  # fmt: skip
    """The JSON body, exactly as signed and sent."""
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "id": delivery_id,
        "event": event,
        "at": at.isoformat(),
        "message": message,
        "model": request.model if request is not None else model,
        "request": _request(request, scores or []) if request is not None else None,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"))
