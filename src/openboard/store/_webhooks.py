"""Webhooks' SQL: subscriptions, the outbox that request events are written to in the transaction
that made them (so an event is never lost and never waits on a receiver), the deliveries fanned
out from it, and every attempt. Rows are taken with a lease (`locked_until`), so any number of
delivery loops share the work and one that dies only delays what it held."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    and_,
    delete,
    false,
    func,
    insert,
    or_,
    select,
    update,
)

from openboard.store._engine import reader_of
from openboard.store._errors import StoreError
from openboard.store._tables import (
    requests,
    users,
    webhook_attempts,
    webhook_deliveries,
    webhook_outbox,
    webhooks,
)
from openboard.store._time import as_utc

# A request event's kind in the history → the webhook event it is sent as.
NOTIFIED_KINDS: dict[str, str] = {
    "submitted": "request.queued",
    "requeue": "request.queued",
    "claim": "request.started",
    "finish": "request.finished",
    "fail": "request.failed",
    "cancel": "request.cancelled",
}
FLAGGED = "model.flagged"
WEBHOOK_EVENTS: tuple[str, ...] = (*dict.fromkeys(NOTIFIED_KINDS.values()), FLAGGED)

PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"


@dataclass(frozen=True, slots=True)
class Webhook:
    id: int
    owner: str | None  # None: the board's own, sent every event
    url: str
    secret: str
    events: tuple[str, ...]
    created_at: datetime
    created_by: str


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    event: str
    request_id: int | None
    model: str | None
    at: datetime
    message: str


@dataclass(frozen=True, slots=True)
class NewDelivery:
    delivery_id: str
    webhook_id: int | None  # None: a URL from the settings, signed with the settings' secret
    url: str
    owner: str | None
    event: str
    request_id: int | None
    body: str


@dataclass(frozen=True, slots=True)
class DeliveryAttempt:
    at: datetime
    status_code: int | None
    error: str | None
    seconds: float


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    delivery_id: str
    webhook_id: int | None
    url: str
    owner: str | None
    event: str
    request_id: int | None
    body: str
    state: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    last_error: str | None
    secret: str | None  # the webhook's; None for a settings URL (or a removed webhook)
    history: tuple[DeliveryAttempt, ...] = ()


def add_outbox(
    conn: Connection, event: str, at: datetime, message: str, *, request_id: int | None = None,
    model: str | None = None,
) -> None:  # fmt: skip
    conn.execute(insert(webhook_outbox).values(
        event=event, request_id=request_id, model=model, at=at, message=message,
    ))  # fmt: skip


def _time(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


def _webhook(row: Any) -> Webhook:
    return Webhook(
        id=int(row["id"]), owner=row["owner"], url=row["url"], secret=row["secret"],
        events=tuple(row["events"]), created_at=as_utc(row["created_at"]),
        created_by=row["created_by"],
    )  # fmt: skip


def _delivery(row: Any, history: tuple[DeliveryAttempt, ...] = ()) -> Delivery:
    return Delivery(
        id=int(row["id"]), delivery_id=row["delivery_id"], webhook_id=row["webhook_id"],
        url=row["url"], owner=row["owner"], event=row["event"], request_id=row["request_id"],
        body=row["body"], state=row["state"], attempts=int(row["attempts"]),
        created_at=as_utc(row["created_at"]), next_attempt_at=_time(row["next_attempt_at"]),
        delivered_at=_time(row["delivered_at"]), last_error=row["last_error"],
        secret=row["secret"], history=history,
    )  # fmt: skip


def _attempt(row: Any) -> DeliveryAttempt:
    return DeliveryAttempt(
        as_utc(row["at"]), row["status_code"], row["error"], float(row["seconds"])
    )


_HOOKS = select(webhooks, users.c.name.label("owner")).select_from(
    webhooks.outerjoin(users, users.c.id == webhooks.c.user_id)
)
_DELIVERIES = select(webhook_deliveries, webhooks.c.secret).select_from(
    webhook_deliveries.outerjoin(webhooks, webhooks.c.id == webhook_deliveries.c.webhook_id)
)


def _free(column: Any, now: datetime) -> Any:
    return or_(column.is_(None), column < now)


class WebhookStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def add(
        self, owner: str | None, url: str, secret: str, events: tuple[str, ...], actor: str,
        at: datetime,
    ) -> Webhook:  # fmt: skip
        with self._engine.begin() as conn:
            user_id = None
            if owner is not None:
                user_id = conn.execute(select(users.c.id).where(users.c.name == owner)).scalar()
                if user_id is None:
                    raise StoreError(f"no user {owner!r}", "see openboard users list")
            added = conn.execute(insert(webhooks).values(
                user_id=user_id, url=url, secret=secret, events=list(events), created_at=at,
                created_by=actor,
            ).returning(webhooks.c.id)).scalar_one()  # fmt: skip
        return Webhook(int(added), owner, url, secret, events, at, actor)

    def remove(self, webhook_id: int) -> bool:
        with self._engine.begin() as conn:
            return bool(conn.execute(delete(webhooks).where(webhooks.c.id == webhook_id)).rowcount)

    def get(self, webhook_id: int) -> Webhook | None:
        with self._reader.connect() as conn:
            row = conn.execute(_HOOKS.where(webhooks.c.id == webhook_id)).mappings().first()
        return _webhook(row) if row else None

    def hooks(self, owner: str | None = None, *, everyone: bool = False) -> list[Webhook]:
        """`owner`'s webhooks; owner None: the board's own; `everyone`: all of them."""
        query = _HOOKS.order_by(webhooks.c.id)
        if not everyone:
            query = query.where(
                users.c.name == owner if owner is not None else webhooks.c.user_id.is_(None)
            )
        with self._reader.connect() as conn:
            return [_webhook(r) for r in conn.execute(query).mappings()]

    def subscribers(self, request_id: int | None, model: str | None) -> list[Webhook]:
        """The board's webhooks and those of the users the event is about: the request's
        submitter, or everyone who submitted the flagged model."""
        senders = select(requests.c.sender)
        if request_id is not None:
            senders = senders.where(requests.c.id == request_id)
        elif model is not None:
            senders = senders.where(requests.c.model == model)
        else:
            senders = senders.where(false())
        query = _HOOKS.where(or_(webhooks.c.user_id.is_(None), users.c.name.in_(senders))).order_by(
            webhooks.c.id
        )
        with self._reader.connect() as conn:
            return [_webhook(r) for r in conn.execute(query).mappings()]

    def take_outbox(self, now: datetime, lease_seconds: float, limit: int) -> list[OutboxEntry]:
        """Outbox entries no other loop holds, now held by this one for `lease_seconds`."""
        until = now + timedelta(seconds=lease_seconds)
        taken: list[OutboxEntry] = []
        with self._engine.begin() as conn:
            rows = conn.execute(
                select(webhook_outbox).where(_free(webhook_outbox.c.locked_until, now))
                .order_by(webhook_outbox.c.id).limit(limit)
            ).mappings().all()  # fmt: skip
            for row in rows:
                held = conn.execute(
                    update(webhook_outbox)
                    .where(webhook_outbox.c.id == row["id"],
                           _free(webhook_outbox.c.locked_until, now))
                    .values(locked_until=until)
                ).rowcount  # fmt: skip
                if held:
                    taken.append(OutboxEntry(
                        int(row["id"]), row["event"], row["request_id"], row["model"],
                        as_utc(row["at"]), row["message"],
                    ))  # fmt: skip
        return taken

    def fan_out(self, entry_id: int, deliveries: list[NewDelivery], now: datetime) -> bool:
        """The entry's deliveries, queued as it leaves the outbox, in one transaction: False (and
        nothing written) when the entry is gone, fanned out by a loop that took it over."""
        with self._engine.begin() as conn:
            if not conn.execute(
                delete(webhook_outbox).where(webhook_outbox.c.id == entry_id)
            ).rowcount:
                return False
            for new in deliveries:
                conn.execute(insert(webhook_deliveries).values(
                    delivery_id=new.delivery_id, webhook_id=new.webhook_id, url=new.url,
                    owner=new.owner, event=new.event, request_id=new.request_id, body=new.body,
                    state=PENDING, attempts=0, created_at=now, next_attempt_at=now,
                ))  # fmt: skip
        return True

    def take_due(self, now: datetime, lease_seconds: float, limit: int) -> list[Delivery]:
        """Pending deliveries whose next attempt is due, held by this loop for `lease_seconds`."""
        until = now + timedelta(seconds=lease_seconds)
        due = and_(
            webhook_deliveries.c.state == PENDING,
            webhook_deliveries.c.next_attempt_at <= now,
            _free(webhook_deliveries.c.locked_until, now),
        )
        taken: list[Delivery] = []
        with self._engine.begin() as conn:
            rows = conn.execute(
                _DELIVERIES.where(due).order_by(webhook_deliveries.c.next_attempt_at,
                                                webhook_deliveries.c.id).limit(limit)
            ).mappings().all()  # fmt: skip
            for row in rows:
                held = conn.execute(
                    update(webhook_deliveries)
                    .where(webhook_deliveries.c.id == row["id"], due)
                    .values(locked_until=until)
                ).rowcount
                if held:
                    taken.append(_delivery(row))
        return taken

    def record_attempt(
        self, delivery: Delivery, attempt: DeliveryAttempt, *, delivered: bool,
        retry_at: datetime | None,
    ) -> None:  # fmt: skip
        """Log one attempt and move the delivery on: delivered, due again at `retry_at`, or
        failed for good (not delivered, no retry)."""
        state = DELIVERED if delivered else (PENDING if retry_at is not None else FAILED)
        with self._engine.begin() as conn:
            conn.execute(insert(webhook_attempts).values(
                delivery=delivery.id, at=attempt.at, status_code=attempt.status_code,
                error=attempt.error, seconds=attempt.seconds,
            ))  # fmt: skip
            conn.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery.id).values(
                    state=state, attempts=webhook_deliveries.c.attempts + 1, locked_until=None,
                    next_attempt_at=retry_at, delivered_at=attempt.at if delivered else None,
                    last_error=None if delivered else attempt.error,
                )
            )  # fmt: skip

    def resend(self, delivery_id: int, now: datetime) -> bool:
        """Queue a delivery again (same body and idempotency id) with a fresh attempt budget."""
        with self._engine.begin() as conn:
            return bool(conn.execute(
                update(webhook_deliveries).where(webhook_deliveries.c.id == delivery_id)
                .values(state=PENDING, attempts=0, next_attempt_at=now, locked_until=None)
            ).rowcount)  # fmt: skip

    def delivery(self, delivery_id: int) -> Delivery | None:
        with self._reader.connect() as conn:
            row = conn.execute(
                _DELIVERIES.where(webhook_deliveries.c.id == delivery_id)
            ).mappings().first()  # fmt: skip
            if row is None:
                return None
            history = conn.execute(
                select(webhook_attempts).where(webhook_attempts.c.delivery == delivery_id)
                .order_by(webhook_attempts.c.id)
            ).mappings().all()  # fmt: skip
        return _delivery(row, tuple(_attempt(a) for a in history))

    def deliveries(
        self, owner: str | None = None, *, everyone: bool = False, state: str | None = None,
        limit: int = 100,
    ) -> list[Delivery]:  # fmt: skip
        """Newest first: `owner`'s deliveries (None: the board's), or `everyone`'s."""
        query = _DELIVERIES.order_by(webhook_deliveries.c.id.desc()).limit(limit)
        if not everyone:
            column = webhook_deliveries.c.owner
            query = query.where(column == owner if owner is not None else column.is_(None))
        if state is not None:
            query = query.where(webhook_deliveries.c.state == state)
        with self._reader.connect() as conn:
            rows = conn.execute(query).mappings().all()
            ids = [r["id"] for r in rows]
            attempts = conn.execute(
                select(webhook_attempts).where(webhook_attempts.c.delivery.in_(ids))
                .order_by(webhook_attempts.c.id)
            ).mappings().all() if ids else []  # fmt: skip
        history: dict[int, list[DeliveryAttempt]] = {}
        for a in attempts:
            history.setdefault(a["delivery"], []).append(_attempt(a))
        return [_delivery(r, tuple(history.get(r["id"], ()))) for r in rows]

    def backlog(self) -> dict[str, int]:
        """Outbox entries not fanned out yet, and deliveries by state."""
        with self._reader.connect() as conn:
            counts: dict[str, int] = dict(conn.execute(
                select(webhook_deliveries.c.state, func.count()).group_by(webhook_deliveries.c.state)
            ).all())  # fmt: skip
            outbox = conn.execute(select(func.count()).select_from(webhook_outbox)).scalar_one()
        return {"outbox": int(outbox), **{str(k): int(v) for k, v in counts.items()}}
