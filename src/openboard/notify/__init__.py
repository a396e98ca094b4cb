"""Notifications: signed webhooks fed by request events through an outbox, retried with backoff,
every attempt logged."""

from openboard.notify._backoff import next_attempt, retry_delay
from openboard.notify._deliver import DeliverySettings, Notifier
from openboard.notify._service import (
    MAX_WEBHOOKS_PER_USER,
    WebhookError,
    WebhookNotFoundError,
    WebhookService,
    parse_events,
)
from openboard.notify._signing import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    SignatureError,
    sign,
    verify,
)
from openboard.notify._targets import WebhookTargetError, check_url

__all__ = [
    "DELIVERY_HEADER",
    "EVENT_HEADER",
    "MAX_WEBHOOKS_PER_USER",
    "SIGNATURE_HEADER",
    "DeliverySettings",
    "Notifier",
    "SignatureError",
    "WebhookError",
    "WebhookNotFoundError",
    "WebhookService",
    "WebhookTargetError",
    "check_url",
    "next_attempt",
    "parse_events",
    "retry_delay",
    "sign",
    "verify",
]
