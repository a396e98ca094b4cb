"""/healthz, /readyz and /metrics (Prometheus, through prometheus-client) after a scripted day."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import FailureKind, Status
from openboard.evaluation import SUITES
from openboard.queue import cancel, claim_next, fail
from openboard.store import Store
from openboard.store._migrate import migrate
from openboard.web import MetricsSettings, create_app

from .conftest import POSTGRES_SERVER
from .test_board import add_finished
from .test_store import new_request

TOKEN = "scrape-me"


def scrape(http: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def scripted_day(store: Store) -> None:
    """One result, one failure, one cancelled request, one running with a live lease, one waiting."""
    add_finished(store, "org/finished", (50, 40, 30))  # evaluated in 10 s (the helper's figure)
    now = datetime.now(UTC)
    for name in ("org/failed", "org/cancelled", "org/waiting", "org/last"):
        store.add_request(new_request(model=name, at=now - timedelta(minutes=10)), actor="alice")
    failing = claim_next(store, "w1", lambda: now)
    assert failing is not None and failing.model == "org/failed"
    fail(store, failing, actor="w1", at=now, reason="boom", kind=FailureKind.OUT_OF_MEMORY)
    (cancelled,) = [r for r in store.list_requests() if r.model == "org/cancelled"]
    cancel(store, cancelled, actor="alice", at=now, reason="changed my mind")
    running = claim_next(store, "w2", lambda: now)
    assert running is not None and running.model == "org/waiting"


# Webhook events of the scripted day: five queued, three started, one each finished, failed and
# cancelled; none fanned out, as no delivery loop runs.
OUTBOX_AFTER_THE_DAY = 11


@pytest.fixture
def site(context: Context) -> Iterator[TestClient]:
    scripted_day(context.store)
    app = create_app(context.store, SUITES, metrics=MetricsSettings(enabled=True, token=TOKEN))
    with TestClient(app) as http:
        yield http


def test_metrics_after_a_scripted_day(site: TestClient) -> None:
    site.get("/")
    site.get("/")  # the second is answered from the page cache, before routing
    site.get("/models/org/finished")
    site.get("/api/models/org/nobody")
    facts = scrape(site)

    def value(name: str, **labels: str) -> float:
        return facts[(name, tuple(sorted(labels.items())))]

    assert value("openboard_requests", status=Status.FINISHED.value) == 1
    assert value("openboard_requests", status=Status.FAILED.value) == 1
    assert value("openboard_requests", status=Status.CANCELLED.value) == 1
    assert value("openboard_requests", status=Status.PENDING.value) == 1
    assert value("openboard_requests", status=Status.RUNNING.value) == 1
    assert value("openboard_failed_requests", kind=FailureKind.OUT_OF_MEMORY.value) == 1
    assert value("openboard_evaluation_seconds_count") == 1
    assert value("openboard_evaluation_seconds_sum") == pytest.approx(10.0)
    assert value("openboard_evaluation_seconds_bucket", le="60") == 1
    # Started: the finished one (at once), the failed and the running one (ten minutes' wait each).
    assert value("openboard_queue_wait_seconds_count") == 3
    assert value("openboard_queue_wait_seconds_bucket", le="300") == 1
    assert value("openboard_queue_wait_seconds_bucket", le="900") == 3
    assert value("openboard_queue_wait_seconds_sum") == pytest.approx(1200, abs=5)
    assert value("openboard_workers_alive") == 1
    assert value("openboard_last_result_age_seconds") > 0
    assert value("openboard_webhook_outbox") == OUTBOX_AFTER_THE_DAY

    def served(route: str, status: str) -> float:
        return value("openboard_http_request_duration_seconds_count", method="GET", route=route,
                     status=status)  # fmt: skip

    assert served("/", "200") == 2
    assert served("/models/{org}/{name}", "200") == 1
    assert served("/api/models/{org}/{name}", "404") == 1
    assert not any("org/finished" in dict(labels).get("route", "") for _, labels in facts)


def test_metrics_need_the_token_and_are_off_by_default(site: TestClient, context: Context) -> None:
    assert site.get("/metrics").status_code == 401
    assert site.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert site.get("/metrics", headers={"Authorization": ""}).status_code == 401
    with TestClient(create_app(context.store, SUITES)) as default:
        assert default.get("/metrics").status_code == 404
        assert default.get("/healthz").json()["status"] == "ok"
        assert default.get("/readyz").json() == {"status": "ready"}


def test_readiness_says_why_a_database_behind_this_schema_is_not_ready(database_url: str) -> None:
    store = Store.open(database_url)
    migrate(store.engine, "0011")
    with TestClient(create_app(store, SUITES)) as http:
        answer = http.get("/readyz")
        assert answer.status_code == 503
        assert (
            "schema 0011" in answer.json()["reason"] and "openboard init" in answer.json()["reason"]
        )
        assert http.get("/healthz").status_code == 200
    store.engine.dispose()


@pytest.mark.skipif(not POSTGRES_SERVER, reason="a PostgreSQL database that goes away")
def test_readiness_turns_503_when_the_database_is_gone(database_url: str) -> None:
    store = Store.open(database_url)
    store.migrate()
    with TestClient(create_app(store, SUITES)) as http:
        assert http.get("/readyz").status_code == 200
        store.engine.dispose()
        admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE "{make_url(database_url).database}" WITH (FORCE)')
        admin.dispose()
        answer = http.get("/readyz")
        assert answer.status_code == 503
        assert "does not answer" in answer.json()["reason"]
        assert http.get("/healthz").status_code == 200


def test_status_on_a_terminal_and_as_json(context: Context, cli_env: dict[str, str]) -> None:
    scripted_day(context.store)
    run = context.settings.artifacts_dir / "1"
    run.mkdir(parents=True)
    (run / "samples.jsonl.gz").write_bytes(b"x" * 4096)
    done = CliRunner().invoke(app, ["status", "--json"], env=cli_env)
    assert done.exit_code == 0, done.output
    report = json.loads(done.output)
    assert report["ready"] is True
    assert report["requests"][Status.FINISHED.value] == 1
    assert report["requests"][Status.PENDING.value] == 1
    assert report["failures_by_kind"] == {FailureKind.OUT_OF_MEMORY.value: 1}
    assert report["workers_alive"] == 1
    assert report["mean_evaluation_seconds"] == pytest.approx(10.0)
    assert report["disk_bytes"]["artifacts"] == 4096
    assert report["webhooks"] == {"outbox": OUTBOX_AFTER_THE_DAY}  # no delivery loop ran
    text = CliRunner().invoke(app, ["status"], env=cli_env).output
    assert "workers alive: 1" in text and "1 finished" in text and "artifacts 4.1 kB" in text
    assert f"webhooks: {OUTBOX_AFTER_THE_DAY} events not fanned out" in text


def test_status_says_why_the_database_is_not_ready(
    database_url: str, cli_env: dict[str, str]
) -> None:
    store = Store.open(database_url)
    migrate(store.engine, "0011")
    store.engine.dispose()
    done = CliRunner().invoke(app, ["status"], env=cli_env)
    assert done.exit_code == 1
    assert "NOT READY" in done.output and "openboard init" in done.output
