"""What a submitter may do to their own requests, through the named operations of `_lifecycle`."""

from datetime import datetime

from openboard.domain import OpenboardError
from openboard.queue._lifecycle import IllegalTransitionError, cancel
from openboard.store import EvalRequest, Store


class NotYourRequestError(OpenboardError):
    pass


def cancel_own(
    store: Store, request: EvalRequest, *, user: str, admin: bool, at: datetime, reason: str
) -> None:
    """`user` cancels `request`: their own, or any for an admin. The transition table decides
    from which states (PENDING, RUNNING: its worker stops at the next heartbeat); audited as
    `request.cancel` with `user` as the actor, like an admin's cancel."""
    if request.sender != user and not admin:
        raise NotYourRequestError(
            f"request #{request.id} is {request.sender}'s, not {user}'s",
            "you can cancel only your own requests; ask an admin about others'",
        )
    if not cancel(store, request, actor=user, at=at, reason=reason):
        raise IllegalTransitionError(
            f"request #{request.id} moved on while it was being cancelled",
            "reload the queue and look at its state",
        )
