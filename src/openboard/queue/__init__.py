"""A request's life as named operations over one transition table (`ALLOWED_TRANSITIONS`):
claim, renew, finish, fail, cancel, requeue, hand back, release, reap."""

from openboard.queue._lifecycle import (
    ALLOWED_TRANSITIONS,
    IllegalTransitionError,
    cancel,
    claim,
    claim_next,
    fail,
    finish,
    hand_back,
    reap,
    release,
    renew,
    requeue,
)

__all__ = [
    "ALLOWED_TRANSITIONS",
    "IllegalTransitionError",
    "cancel",
    "claim",
    "claim_next",
    "fail",
    "finish",
    "hand_back",
    "reap",
    "release",
    "renew",
    "requeue",
]
