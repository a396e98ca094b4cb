"""A request's life as named operations over one transition table (`ALLOWED_TRANSITIONS`):
claim, renew, finish, fail, cancel, requeue, re-run, hand back, release, reap."""

from openboard.queue._lifecycle import (
    ALLOWED_TRANSITIONS,
    PREVIOUS_RUNS,
    IllegalTransitionError,
    cancel,
    claim,
    claim_next,
    fail,
    finish,
    hand_back,
    previous_run_folder,
    reap,
    release,
    renew,
    requeue,
    rerun,
)
from openboard.queue._own import NotYourRequestError, cancel_own

__all__ = [
    "ALLOWED_TRANSITIONS",
    "PREVIOUS_RUNS",
    "IllegalTransitionError",
    "NotYourRequestError",
    "cancel",
    "cancel_own",
    "claim",
    "claim_next",
    "fail",
    "finish",
    "hand_back",
    "previous_run_folder",
    "reap",
    "release",
    "renew",
    "requeue",
    "rerun",
]
