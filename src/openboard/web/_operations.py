"""What an operator's monitoring reads: /healthz (the process answers), /readyz (the database
answers at this version's schema) and /metrics in Prometheus' format through prometheus-client.

Queue facts come from the database at scrape time, so every server process reports the same
numbers. HTTP latency is measured in each process; under `openboard serve --workers N` the processes
share it through prometheus-client's multiprocess directory (PROMETHEUS_MULTIPROC_DIR).
"""

import hmac
import os
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from openboard import __version__
from openboard.store import Histogram as StoredHistogram
from openboard.store import Store, operational_facts, readiness

WAIT_BUCKETS = (
    60.0,
    300.0,
    900.0,
    3600.0,
    4 * 3600.0,
    12 * 3600.0,
    86400.0,
    3 * 86400.0,
    7 * 86400.0,
)
EVAL_BUCKETS = (60.0, 300.0, 900.0, 1800.0, 3600.0, 2 * 3600.0, 4 * 3600.0, 8 * 3600.0, 86400.0)
_SEEN_PATHS = 4096
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

__all__ = ["METRICS_OFF", "MetricsSettings", "RequestTimer", "operations_router"]


@dataclass(frozen=True, slots=True)
class MetricsSettings:
    """/metrics is off unless enabled; with a token it answers only `Authorization: Bearer <token>`
    (it shows what is in the queue)."""

    enabled: bool = False
    token: str | None = None


METRICS_OFF = MetricsSettings()


class _QueueCollector(Collector):
    def __init__(self, store: Store) -> None:
        self.store = store

    def collect(self) -> Iterator[Metric]:
        now = datetime.now(UTC)
        facts = operational_facts(self.store.engine, now, WAIT_BUCKETS, EVAL_BUCKETS)
        build = GaugeMetricFamily("openboard_build_info", "openboard's version", labels=["version"])
        build.add_metric([__version__], 1)
        yield build
        by_status = GaugeMetricFamily(
            "openboard_requests", "evaluation requests by status", labels=["status"]
        )
        for status, n in facts.by_status.items():
            by_status.add_metric([status.value], n)
        yield by_status
        failures = GaugeMetricFamily(
            "openboard_failed_requests", "FAILED requests by failure kind", labels=["kind"]
        )
        for kind, n in sorted(facts.failures_by_kind.items()):
            failures.add_metric([kind], n)
        yield failures
        yield _histogram("openboard_queue_wait_seconds",
                         "from submission to the start of the evaluation", facts.queue_wait)  # fmt: skip
        yield _histogram("openboard_evaluation_seconds",
                         "wall time of finished evaluations", facts.evaluation)  # fmt: skip
        yield GaugeMetricFamily(
            "openboard_workers_alive",
            "workers holding an unexpired lease",
            value=facts.workers_alive,
        )
        yield from _webhook_metrics(self.store.webhooks.backlog())
        if facts.last_result_at is not None:
            age = (now - facts.last_result_at).total_seconds()
            yield GaugeMetricFamily(
                "openboard_last_result_age_seconds", "seconds since the newest result", value=age
            )


def _webhook_metrics(backlog: dict[str, int]) -> Iterator[Metric]:
    # A growing outbox means no delivery loop runs (neither `serve` nor `notify`).
    yield GaugeMetricFamily(
        "openboard_webhook_outbox", "events waiting to be fanned out to webhooks",
        value=backlog.get("outbox", 0),
    )  # fmt: skip
    deliveries = GaugeMetricFamily(
        "openboard_webhook_deliveries", "webhook deliveries by state", labels=["state"]
    )
    for state, n in sorted(backlog.items()):
        if state != "outbox":
            deliveries.add_metric([state], n)
    yield deliveries


def _histogram(name: str, documentation: str, stored: StoredHistogram) -> HistogramMetricFamily:
    buckets = [(_bound(b), n) for b, n in stored.buckets] + [("+Inf", stored.count)]
    return HistogramMetricFamily(name, documentation, buckets=buckets, sum_value=stored.total)


def _bound(value: float) -> str:
    return f"{value:g}"


class RequestTimer:
    """HTTP latency by route template (never by raw path: /models/a/b and /models/c/d are one
    series). A page answered from the page cache before routing is labelled with the route that
    rendered it: the page cache only keeps pages that a route of this process rendered."""

    def __init__(self, app: ASGIApp, registry: CollectorRegistry | None) -> None:
        self.app = app
        self.seconds = Histogram(
            "openboard_http_request_duration_seconds", "HTTP request latency by route",
            ["method", "route", "status"], registry=registry,
        )  # fmt: skip
        self._seen: OrderedDict[str, str] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def timed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, timed_send)
        finally:
            self.seconds.labels(scope["method"], self._template(scope), str(status)).observe(
                time.perf_counter() - started
            )

    def _template(self, scope: Scope) -> str:
        path = getattr(scope.get("route"), "path", None)
        if isinstance(path, str) and path:
            self._seen[scope["path"]] = path
            if len(self._seen) > _SEEN_PATHS:
                self._seen.popitem(last=False)
            return path
        # Answered before routing (a kept page): the route that rendered it in this process.
        return self._seen.get(scope["path"], "(unmatched)")


def operations_router(
    store: Store, metrics: MetricsSettings, registry: CollectorRegistry
) -> APIRouter:
    router = APIRouter(include_in_schema=False)

    @router.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    @router.get("/readyz")
    def readyz() -> JSONResponse:
        reason = readiness(store.engine)
        if reason is not None:
            return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
        return JSONResponse({"status": "ready"})

    if metrics.enabled:
        registry.register(_QueueCollector(store))

        @router.get("/metrics")
        def scrape(request: Request) -> Response:
            if metrics.token is not None and not _bearer_matches(request, metrics.token):
                return JSONResponse(
                    {"detail": "/metrics needs Authorization: Bearer <metrics_token>"},
                    status_code=401, headers={"WWW-Authenticate": "Bearer"},
                )  # fmt: skip
            return Response(generate_latest(_scraped(registry, store)), media_type=CONTENT_TYPE)

    return router


def _scraped(registry: CollectorRegistry, store: Store) -> CollectorRegistry:
    if "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        return registry
    # Several server processes: their HTTP series are summed from the shared directory; the
    # database facts are read once.
    merged = CollectorRegistry()
    MultiProcessCollector(merged)  # type: ignore[no-untyped-call]
    merged.register(_QueueCollector(store))
    return merged


def _bearer_matches(request: Request, token: str) -> bool:
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode(), token.encode()
    )
