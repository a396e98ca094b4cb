"""Webhooks as users and admins manage them: a submitter's own (their requests' events), the
board's (admins), their deliveries and re-sends. Who may touch what is decided here."""

import secrets
from collections.abc import Callable
from datetime import datetime

from openboard.domain import OpenboardError, Role
from openboard.notify._targets import check_public, check_url
from openboard.store import WEBHOOK_EVENTS, Delivery, Store, User, Webhook

MAX_WEBHOOKS_PER_USER = 10


class WebhookError(OpenboardError):
    pass


class WebhookNotFoundError(WebhookError):
    """Also for what exists but is someone else's: its existence is not theirs to learn."""


def parse_events(events: list[str] | None) -> tuple[str, ...]:
    """The events a webhook is sent; None or empty: all of them."""
    if not events:
        return WEBHOOK_EVENTS
    unknown = sorted(set(events) - set(WEBHOOK_EVENTS))
    if unknown:
        raise WebhookError(
            f"unknown webhook event {', '.join(unknown)}", "one of " + ", ".join(WEBHOOK_EVENTS)
        )
    return tuple(e for e in WEBHOOK_EVENTS if e in events)


class WebhookService:
    def __init__(
        self, store: Store, clock: Callable[[], datetime], allow_private_targets: bool = False
    ) -> None:
        self._store = store
        self._clock = clock
        self._allow_private = allow_private_targets

    def add(self, user: User, url: str, events: list[str] | None = None) -> Webhook:
        """A webhook for `user`'s own requests, with a fresh secret to verify signatures by."""
        url = check_url(url)
        chosen = parse_events(events)
        if not self._allow_private:
            check_public(url)
        if len(self._store.webhooks.hooks(user.name)) >= MAX_WEBHOOKS_PER_USER:
            raise WebhookError(
                f"{user.name} has {MAX_WEBHOOKS_PER_USER} webhooks already", "remove one first"
            )
        return self._store.webhooks.add(
            user.name, url, secrets.token_urlsafe(32), chosen, user.name, self._clock()
        )

    def add_board(self, url: str, events: list[str] | None, actor: str) -> Webhook:
        """A board-wide webhook (an operator's): every request's events."""
        return self._store.webhooks.add(
            None, check_url(url), secrets.token_urlsafe(32), parse_events(events), actor,
            self._clock(),
        )  # fmt: skip

    def hooks(self, user: User) -> list[Webhook]:
        return self._store.webhooks.hooks(user.name)

    def _owned(self, user: User | None, owner: str | None, what: str) -> None:
        if user is not None and user.role is not Role.ADMIN and owner != user.name:
            raise WebhookNotFoundError(f"you have no {what}", "see your account page")

    def remove(self, user: User | None, webhook_id: int) -> None:
        """`user` None: an operator at the command line."""
        hook = self._store.webhooks.get(webhook_id)
        if hook is None:
            raise WebhookNotFoundError(f"no webhook #{webhook_id}", "see openboard webhooks list")
        self._owned(user, hook.owner, f"webhook #{webhook_id}")
        self._store.webhooks.remove(webhook_id)

    def deliveries(self, user: User, limit: int = 50) -> list[Delivery]:
        return self._store.webhooks.deliveries(user.name, limit=limit)

    def resend(self, user: User | None, delivery_id: int) -> Delivery:
        """Queue a delivery again, same body and idempotency id, with a fresh attempt budget."""
        delivery = self._store.webhooks.delivery(delivery_id)
        if delivery is None:
            raise WebhookNotFoundError(
                f"no webhook delivery #{delivery_id}", "see openboard webhooks deliveries"
            )
        self._owned(user, delivery.owner, f"webhook delivery #{delivery_id}")
        self._store.webhooks.resend(delivery_id, self._clock())
        return delivery
