"""Job lifecycle. `transition` is the one function that changes a request's status."""

from openboard.queue._lifecycle import (
    ALLOWED_TRANSITIONS,
    IllegalTransitionError,
    cancel,
    claim_next,
    fail,
    finish,
    reap,
    requeue,
    transition,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "IllegalTransitionError",
    "cancel",
    "claim_next",
    "fail",
    "finish",
    "reap",
    "requeue",
    "transition",
]
