"""Security around every request: response headers (a strict Content-Security-Policy: no inline
script), a cap on body size, and rate limits per API token, or per address without one.

Pure ASGI middleware so that it also covers static files and error responses: Starlette's own
error middleware sits outside every added middleware, so an unhandled exception's 500 is sent
here, with the headers, before the exception goes on to be logged. Rate limits are
counted in this process: run one server process per limit, or put a shared limiter in front.
"""

import hashlib
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    # Scripts only from openboard itself (never inline, never eval); inline style attributes are
    # allowed because plotly sets them. No framing, no plugins, forms post only here.
    "content-security-policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
}
# As they go on the wire, encoded once: every response carries them.
_ENCODED_HEADERS = [(k.encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]
_HEADER_NAMES = frozenset(k.encode() for k in SECURITY_HEADERS)


@dataclass(frozen=True, slots=True)
class Limits:
    max_body_bytes: int
    api_per_minute: int
    logins_per_minute: int


class _Window:
    """Requests per key in the last minute (a sliding window of timestamps)."""

    def __init__(self, per_minute: int, clock: Callable[[], float]) -> None:
        self._per_minute = per_minute
        self._clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, key: str) -> float | None:
        """None: allowed (and counted); else seconds until the next one is."""
        now = self._clock()
        with self._lock:
            times = self._seen.setdefault(key, deque())
            while times and times[0] <= now - 60:
                times.popleft()
            if len(times) >= self._per_minute:
                return 60 - (now - times[0])
            times.append(now)
            if len(self._seen) > 100_000:  # forget idle keys rather than grow without bound
                self._seen = {k: v for k, v in self._seen.items() if v and v[-1] > now - 60}
            return None


_SERVER_ERROR = {
    "detail": "internal server error",
    "hint": "the operator's log has the details; try again later",
}


class _TooLargeError(Exception):
    pass


class SecurityMiddleware:
    def __init__(
        self, app: ASGIApp, limits: Limits, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._app = app
        self._limits = limits
        self._api = _Window(limits.api_per_minute, clock)
        self._logins = _Window(limits.logins_per_minute, clock)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() not in _HEADER_NAMES]  # fmt: skip
                message = {**message, "headers": headers + _ENCODED_HEADERS}
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            status, payload, extra = refusal
            await _json(send_with_headers, status, payload, extra)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self._limits.max_body_bytes:
                    raise _TooLargeError
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send_with_headers(message)

        try:
            await self._app(scope, limited_receive, tracking_send)
        except _TooLargeError:
            if started:
                raise
            await _json(send_with_headers, 413, self._too_large(), [])
        except Exception:
            if not started:  # the outer error middleware then sends nothing more, and logs
                await _json(send_with_headers, 500, _SERVER_ERROR, [])
            raise

    def _too_large(self) -> dict[str, str]:
        return {
            "detail": f"the request body is over {self._limits.max_body_bytes} bytes",
            "hint": "send less; a submission is a few hundred bytes",
        }

    def _refusal(
        self, scope: Scope
    ) -> tuple[int, dict[str, str], list[tuple[bytes, bytes]]] | None:
        length = auth = b""  # the last of each, as a dict of the headers would keep
        for name, value in scope["headers"]:
            name = name.lower()
            if name == b"content-length":
                length = value
            elif name == b"authorization":
                auth = value
        if length.isdigit() and int(length) > self._limits.max_body_bytes:
            return 413, self._too_large(), []
        path: str = scope["path"]
        client = scope.get("client")
        address = client[0] if client else "unknown"
        window, key = None, ""
        if path.startswith("/api/"):
            # Keyed by the token's hash: the limit follows the token across addresses.
            key = "token:" + hashlib.sha256(auth).hexdigest() if auth else "ip:" + address
            window = self._api
        elif path == "/login" and scope["method"] == "POST":
            window, key = self._logins, "ip:" + address
        if window is None:
            return None
        wait = window.retry_after(key)
        if wait is None:
            return None
        return (
            429,
            {"detail": "too many requests", "hint": f"retry in {wait:.0f} s"},
            [(b"retry-after", str(max(1, round(wait))).encode())],
        )


async def _json(
    send: Send, status: int, payload: dict[str, str], extra: list[tuple[bytes, bytes]]
) -> None:
    body = json.dumps(payload).encode()
    await send({
        "type": "http.response.start", "status": status,
        "headers": [(b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()), *extra],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})
