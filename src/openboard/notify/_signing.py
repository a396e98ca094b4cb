"""Webhook signatures: HMAC-SHA256 over `<timestamp>.<body>`, sent as
`X-Openboard-Signature: t=<unix seconds>,v1=<hex digest>`. The timestamp is signed with the body,
so a receiver that refuses old timestamps also refuses a captured delivery replayed later."""

import hashlib
import hmac

from openboard.domain import OpenboardError

SIGNATURE_HEADER = "X-Openboard-Signature"
DELIVERY_HEADER = "X-Openboard-Delivery"  # the idempotency id: the same on every retry
EVENT_HEADER = "X-Openboard-Event"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(OpenboardError):
    pass


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    signed = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp` (Unix seconds)."""
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify(
    secret: str, header: str, body: bytes, now: float,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
) -> None:  # fmt: skip
    """Raise SignatureError unless `header` signs `body` with `secret` within the tolerance."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
        given = fields["v1"]
    except (KeyError, ValueError) as exc:
        raise SignatureError(
            f"malformed {SIGNATURE_HEADER} header", "expected t=<unix seconds>,v1=<hex>"
        ) from exc
    if abs(now - timestamp) > tolerance_seconds:
        raise SignatureError(
            f"signature timestamp {timestamp} is {abs(now - timestamp):.0f} s from now",
            f"refuse deliveries older than {tolerance_seconds:g} s; check the receiver's clock",
        )
    if not hmac.compare_digest(_digest(secret, timestamp, body), given):
        raise SignatureError(
            "signature does not match the body",
            "sign the raw body bytes as received, with the webhook's secret",
        )
