"""Keep-alive connections spread evenly over `openboard serve --workers N`'s processes.

SO_REUSEPORT hands each new connection to a process by a hash of its addresses, and a kept-alive
connection stays there. Sixteen connections from one client split 12/4 or 11/5 as often as 8/8
(measured: 4 of 8 tries were 12/4 or 11/5), and since a process runs its Python on one core, the
busier one queues requests while the other idles. A proxy that keeps a pool of upstream
connections sees the same.

So each process publishes how many connections it holds (one slot per process in shared memory,
updated on uvicorn's tick, ten times a second), and a process holding more than its share of them
all answers its next request with `Connection: close`. The response is whole and nothing is lost;
the client connects again, and the kernel places the new connection afresh. Requests in flight
finish where they are. /metrics counts those closes
(`openboard_http_connections_closed_to_balance_total`): a count that keeps climbing under steady
load says the clients reconnect often (a proxy without keep-alive, say), where closing costs more
than it evens out.
"""

import math
from collections.abc import MutableSequence, Sequence
from typing import Any

import uvicorn
from prometheus_client import Counter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["BalancedServer", "ConnectionShares", "over_share"]


def over_share(held: int, counts: Sequence[int]) -> bool:
    """Whether a process holding `held` connections holds more than an even split of all the
    processes' `counts` allows (their total over their number, rounded up)."""
    return held > math.ceil(sum(counts) / len(counts))


class ConnectionShares:
    """This process's view of every process's open connections (`slots`: shared memory, as of
    each process's last tick)."""

    def __init__(self, slots: MutableSequence[int], index: int) -> None:
        self._slots, self._index = slots, index
        self._closing = 0  # connections this process closed since its tick

    def record(self, held: int) -> None:
        self._slots[self._index], self._closing = held, 0

    def take_one_to_close(self) -> bool:
        """Whether to close one connection now. A closed connection is counted as moved, not
        gone: its client connects again, so the total, and the share, stay as they were."""
        counts = list(self._slots)
        if not over_share(counts[self._index] - self._closing, counts):
            return False
        self._closing += 1
        return True


class BalancedConnections:
    """ASGI middleware: `Connection: close` on a response while this process holds more than its
    share."""

    def __init__(self, app: ASGIApp, shares: ConnectionShares) -> None:
        self.app, self.shares = app, shares
        # In no registry: under `serve --workers N` prometheus-client keeps it in the shared
        # multiprocess directory, which /metrics sums over the processes.
        self.closed = Counter(
            "openboard_http_connections_closed_to_balance",
            "kept-alive connections closed because their process held more than its share",
            registry=None,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and self.shares.take_one_to_close():
                self.closed.inc()
                headers = [(k, v) for k, v in message.get("headers", ()) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing_send)


class BalancedServer(uvicorn.Server):
    """uvicorn's server serving `app` behind `BalancedConnections`, publishing its count of open
    connections on every tick."""

    def __init__(self, app: ASGIApp, shares: ConnectionShares, **options: Any) -> None:
        super().__init__(uvicorn.Config(BalancedConnections(app, shares), **options))
        self.shares = shares

    async def on_tick(self, counter: int) -> bool:
        self.shares.record(len(self.server_state.connections))
        return await super().on_tick(counter)
