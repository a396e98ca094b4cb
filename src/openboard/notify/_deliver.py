"""The delivery loop: fans the outbox's events out to their webhooks, then POSTs what is due,
each attempt logged, failures retried with backoff. It runs beside the queue (a thread of
`openboard serve`, or `openboard notify`), so a slow or dead receiver never holds up a worker or
a web request; an event waits in the database until it is delivered, at least once (receivers
drop repeats by the X-Openboard-Delivery id)."""

import logging
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

import httpx

from openboard.domain import OpenboardError
from openboard.notify._backoff import next_attempt
from openboard.notify._payload import body
from openboard.notify._signing import DELIVERY_HEADER, EVENT_HEADER, SIGNATURE_HEADER, sign
from openboard.notify._targets import (
    Resolver,
    WebhookTargetError,
    check_public,
    check_url,
    pinned,
    resolve_addresses,
)
from openboard.store import (
    Delivery,
    DeliveryAttempt,
    NewDelivery,
    OutboxEntry,
    Store,
)

log = logging.getLogger(__name__)
Clock = Callable[[], datetime]
_BATCH = 50
_PARALLEL = 4  # deliveries in flight at once: one hanging receiver holds one of them


@dataclass(frozen=True, slots=True, kw_only=True)
class DeliverySettings:
    urls: tuple[str, ...] = ()  # the board's own webhooks, sent every event
    secret: str | None = None  # signs deliveries to `urls`
    timeout_seconds: float = 10
    max_attempts: int = 8
    backoff_seconds: float = 30
    poll_seconds: float = 2
    allow_private_targets: bool = False

    def __post_init__(self) -> None:
        for url in self.urls:
            check_url(url)
        if self.urls and not self.secret:
            raise OpenboardError(
                "webhook_urls is set without webhook_secret",
                "set OPENBOARD_WEBHOOK_SECRET to a long random string and give it to the receivers",
            )


class Notifier:
    def __init__(
        self, store: Store, settings: DeliverySettings, clock: Clock,
        client: httpx.Client | None = None, resolve: Resolver = resolve_addresses,
    ) -> None:  # fmt: skip
        self._store = store
        self._settings = settings
        self._clock = clock
        self._client = client or httpx.Client(follow_redirects=False)
        self._resolve = resolve

    def fan_out(self) -> int:
        """Turn waiting events into deliveries; returns how many events it took."""
        entries = self._store.webhooks.take_outbox(self._clock(), lease_seconds=60, limit=_BATCH)
        for entry in entries:
            self._store.webhooks.fan_out(entry.id, self._deliveries(entry), self._clock())
        return len(entries)

    def _deliveries(self, entry: OutboxEntry) -> list[NewDelivery]:
        request = self._store.get_request(entry.request_id) if entry.request_id else None
        scores = self._store.scores_by_benchmark(request.id) if request is not None else []
        targets: list[tuple[int | None, str, str | None]] = [
            (None, url, None) for url in self._settings.urls
        ]
        targets += [
            (hook.id, hook.url, hook.owner)
            for hook in self._store.webhooks.subscribers(entry.request_id, entry.model)
            if entry.event in hook.events
        ]
        made = []
        for webhook_id, url, owner in targets:
            delivery_id = str(uuid.uuid4())
            made.append(NewDelivery(
                delivery_id=delivery_id, webhook_id=webhook_id, url=url, owner=owner,
                event=entry.event, request_id=entry.request_id,
                body=body(delivery_id, entry.event, entry.at, entry.message, request=request,
                          scores=scores, model=entry.model),
            ))  # fmt: skip
        return made

    def deliver_due(self) -> int:
        """POST every delivery that is due, a few at once; returns how many were tried."""
        lease = self._settings.timeout_seconds * 2 + 30
        due = self._store.webhooks.take_due(self._clock(), lease_seconds=lease, limit=_BATCH)
        if len(due) == 1:
            self._attempt(due[0])
        elif due:
            with ThreadPoolExecutor(max_workers=_PARALLEL) as pool:
                list(pool.map(self._attempt, due))
        return len(due)

    def run_once(self) -> int:
        return self.fan_out() + self.deliver_due()

    def _attempt(self, delivery: Delivery) -> None:
        started = time.monotonic()
        at = self._clock()
        status_code, error = self._post(delivery)
        delivered = status_code is not None and 200 <= status_code < 300
        retry_at = None if delivered else next_attempt(
            delivery.attempts + 1, self._settings.max_attempts, self._settings.backoff_seconds, at,
        )  # fmt: skip
        attempt = DeliveryAttempt(at, status_code, error, time.monotonic() - started)
        self._store.webhooks.record_attempt(delivery, attempt, delivered=delivered,
                                            retry_at=retry_at)  # fmt: skip
        if not delivered:
            log.info("webhook delivery %s to %s failed (attempt %d): %s", delivery.delivery_id,
                     delivery.url, delivery.attempts + 1, error)  # fmt: skip

    def _post(self, delivery: Delivery) -> tuple[int | None, str | None]:
        secret = self._settings.secret if delivery.webhook_id is None else delivery.secret
        if secret is None:
            return None, "its webhook was removed, or webhook_secret is unset"
        content = delivery.body.encode()
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "openboard-webhooks",
            SIGNATURE_HEADER: sign(secret, int(time.time()), content),
            DELIVERY_HEADER: delivery.delivery_id,
            EVENT_HEADER: delivery.event,
        }
        url = delivery.url
        extensions: dict[str, str] = {}
        if delivery.owner is not None and not self._settings.allow_private_targets:
            try:
                target = pinned(delivery.url, check_public(delivery.url, self._resolve))
            except WebhookTargetError as exc:
                return None, str(exc)
            url, headers["Host"] = target.url, target.host_header
            if target.sni_hostname is not None:
                extensions["sni_hostname"] = target.sni_hostname
        try:
            # Streamed and closed unread: a receiver's answer is its status, not its body.
            with self._client.stream("POST", url, content=content, headers=headers,
                                     extensions=extensions,
                                     timeout=self._settings.timeout_seconds) as response:  # fmt: skip
                code = response.status_code
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return code, None if 200 <= code < 300 else f"HTTP {code}"

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; waits `poll_seconds` whenever there was nothing to do."""
        while not stop.is_set():
            try:
                busy = self.run_once()
            except OpenboardError as exc:  # the database is away: try again later
                log.warning("webhook delivery paused: %s", exc)
                busy = 0
            if not busy:
                stop.wait(self._settings.poll_seconds)

    def start(self) -> Callable[[], None]:
        """Run in a daemon thread; returns the function that stops it."""
        stop = threading.Event()
        thread = threading.Thread(target=self.run, args=(stop,), name="webhooks", daemon=True)
        thread.start()

        def halt() -> None:
            stop.set()
            thread.join(timeout=self._settings.timeout_seconds + 5)

        return halt
