"""The request history: one row per thing that happened, written in the transaction that did it.

Every event also moves the board's data version (`Store.data_version`), so cached pages follow.
"""

from datetime import datetime

from sqlalchemy import Connection, insert

from openboard.domain import Status
from openboard.store._tables import events
from openboard.store._webhooks import NOTIFIED_KINDS, add_outbox


def add_event(
    conn: Connection, request_id: int | None, at: datetime, actor: str, kind: str, message: str,
    from_status: Status | None = None, to_status: Status | None = None, attempt: int | None = None,
) -> None:  # fmt: skip
    """`request_id` None: an event about no single request (the blocklist). An event webhooks
    are sent waits in their outbox from this same transaction."""
    conn.execute(
        insert(events).values(
            request_id=request_id, at=at, actor=actor, kind=kind, message=message,
            from_status=from_status.value if from_status else None,
            to_status=to_status.value if to_status else None,
            **({"attempt": attempt} if attempt is not None else {}),
        )
    )  # fmt: skip
    if request_id is not None and kind in NOTIFIED_KINDS:
        add_outbox(conn, NOTIFIED_KINDS[kind], at, message, request_id=request_id)
