"""The queue under a busy database (issue 22): a lock held longer than the busy timeout never fails
a healthy evaluation, a worker waits it out, a claim's lease starts after the wait; a killed
evaluation is retried and an out-of-memory one is not; a requeue starts afresh; every attempt's
story is in the JSON twins and `openboard queue N`.

Each lock is held a few seconds against a 1 s busy timeout (OPENBOARD_DATABASE_BUSY_TIMEOUT_SECONDS),
the same situation as the issue's 45 s lock against the default 30 s, in a fraction of the time."""

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from openboard.cli import app as cli
from openboard.cli._context import Context
from openboard.config import Settings
from openboard.domain import FailureKind, ModelId, Status
from openboard.evaluation import SUITES
from openboard.queue import claim_next, reap, requeue
from openboard.store import EvalRequest, Store
from openboard.web import create_app
from openboard.worker import SubprocessEvaluation, Worker

from .conftest import POSTGRES_SERVER
from .processes import evaluation_groups
from .test_store import new_request

BUSY_S = 1.0
LOCK_S = 4.0  # longer than the busy timeout, shorter than the lease


@contextmanager
def database_locked(
    url: str, seconds: float, until: threading.Event | None = None
) -> Iterator[threading.Event]:
    """Another process's lock on the request table for `seconds`, or until `until` is set if given
    (SQLite: the write lock; PostgreSQL: ACCESS EXCLUSIVE, which blocks reads too); the event
    yielded is set once it is released."""
    held, released = threading.Event(), threading.Event()

    def hold() -> None:
        if url.startswith("sqlite"):
            conn = sqlite3.connect(make_url(url).database or "", isolation_level=None)
            conn.execute("BEGIN IMMEDIATE")
        else:
            import psycopg

            plain = make_url(url).set(drivername="postgresql").render_as_string(False)
            conn = psycopg.connect(plain)  # type: ignore[assignment]
            conn.execute("BEGIN")
            conn.execute("LOCK TABLE requests IN ACCESS EXCLUSIVE MODE")
        held.set()
        if until is None:
            time.sleep(seconds)
        else:
            until.wait(seconds)
        conn.rollback()
        conn.close()
        released.set()

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    assert held.wait(30), "could not take the lock"
    try:
        yield released
    finally:
        thread.join(seconds + 30)


def busy(settings: Settings, **update: object) -> Settings:
    return settings.model_copy(
        update={"database_busy_timeout_seconds": BUSY_S, "lease_seconds": 3 * LOCK_S, **update}
    )


def tiny_request(context: Context, **changes: object) -> EvalRequest:
    sha = context.source.resolve(ModelId("demo", "tiny"), "main")[0]
    return context.store.add_request(
        replace(new_request(model="demo/tiny", revision=sha), **changes),
        "t",  # type: ignore[arg-type]
    )


def wait_for(store: Store, request_id: int, done: object, seconds: float = 180) -> EvalRequest:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        now = store.get_request(request_id)
        assert now is not None
        if done(now):  # type: ignore[operator]
            return now
        time.sleep(0.2)
    pytest.fail(f"request #{request_id} never got there: {store.get_request(request_id)}")


def scores_of(store: Store, request_id: int) -> list[tuple[str, float]]:
    return [(t.task, t.raw) for t in store.task_scores(request_id)]


def test_a_lock_longer_than_the_busy_timeout_never_fails_a_real_evaluation(
    context: Context, tmp_path: Path
) -> None:
    settings = busy(context.settings, eval_limit=40)
    store = Store.open(settings.database_url, BUSY_S)
    request = tiny_request(context)
    worker = Worker(settings, store, SubprocessEvaluation(settings), lambda: datetime.now(UTC))
    outcome: list[EvalRequest | None] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.run_once()))
    thread.start()
    wait_for(store, request.id, lambda r: r.progress_done)  # lm-eval is answering in the child
    with database_locked(settings.database_url, LOCK_S):
        pass  # progress writes, a lease renewal and perhaps the outcome meet the lock
    thread.join(300)
    done = outcome[0]
    assert done is not None and done.status is Status.FINISHED, done
    assert done.counted_attempts == 1
    # The same scores as a run that met no lock, in a database of its own.
    quiet = Settings(home=tmp_path / "quiet", models=settings.models, eval_batch_size="8",
                     eval_limit=40)  # fmt: skip
    quiet_context = Context.open(quiet)
    quiet_context.store.migrate()
    calm = tiny_request(quiet_context)
    clean = Worker(
        quiet, quiet_context.store, SubprocessEvaluation(quiet), lambda: datetime.now(UTC)
    )
    assert clean.run_once() is not None
    assert scores_of(store, request.id) == scores_of(quiet_context.store, calm.id) != []


def test_a_worker_started_during_a_lock_waits_then_finishes(
    context: Context, cli_env: dict[str, str]
) -> None:
    request = tiny_request(context)
    env = {**os.environ, **cli_env, "OPENBOARD_DATABASE_BUSY_TIMEOUT_SECONDS": str(BUSY_S),
           "OPENBOARD_EVAL_LIMIT": "20"}  # fmt: skip
    # The lock is held until the worker says it is waiting for it (however long its start takes on
    # a loaded machine), then released: the worker must then go on and finish the request.
    waiting, lines = threading.Event(), []
    with database_locked(context.settings.database_url, 240, until=waiting):
        worker = subprocess.Popen(
            [sys.executable, "-m", "openboard", "worker", "--once", "--poll", "0.5"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        assert worker.stdout is not None
        for line in worker.stdout:
            lines.append(line)
            if "database unavailable" in line:
                break
        assert worker.poll() is None, "the worker gave up while the database was locked"
        waiting.set()
    rest, _ = worker.communicate(timeout=300)
    output = "".join(lines) + rest
    assert worker.returncode == 0, output
    assert "database unavailable" in output  # it said why it waited
    done = context.store.get_request(request.id)
    assert done is not None and done.status is Status.FINISHED, output


def test_a_claim_that_waited_for_a_lock_gets_its_whole_lease(context: Context) -> None:
    store = Store.open(context.settings.database_url, busy_timeout_seconds=3 * LOCK_S)
    request = store.add_request(new_request(), "t")
    with database_locked(context.settings.database_url, LOCK_S / 2):
        claimed = claim_next(store, "patient", lambda: datetime.now(UTC), lease_seconds=1.0)
    assert claimed is not None and claimed.id == request.id
    # The lease starts when the claim held the lock, not before it waited: another worker's
    # reaper, right after the commit, finds it alive.
    assert reap(store, datetime.now(UTC), max_attempts=3, timeout_seconds=None) == []
    still = store.get_request(request.id)
    assert still is not None and still.status is Status.RUNNING and still.worker == "patient"


def _kill_the_evaluation(
    store: Store, request_id: int, worker: Worker, meanwhile: Callable[[], object] = lambda: None
) -> EvalRequest | None:
    outcome: list[EvalRequest | None] = []
    thread = threading.Thread(target=lambda: outcome.append(worker.run_once()))
    thread.start()
    wait_for(store, request_id, lambda r: r.progress_done and r.status is Status.RUNNING)
    groups = evaluation_groups()
    assert len(groups) == 1
    meanwhile()
    os.killpg(groups.pop(), signal.SIGKILL)  # from outside, as an operator's kill -9 would
    thread.join(120)
    return outcome[0]


def test_a_killed_evaluation_is_retried_and_an_out_of_memory_kill_is_not(
    context: Context, tmp_path: Path
) -> None:
    settings = context.settings.model_copy(update={"eval_limit": 200, "max_attempts": 3})
    store = context.store
    request = tiny_request(context)
    # The kernel's record of out-of-memory kills, in the format of cgroup v2's memory.events.
    events = tmp_path / "memory.events"
    events.write_text("low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n")
    evaluation = SubprocessEvaluation(settings, oom_counters=lambda: [events])
    worker = Worker(settings, store, evaluation, lambda: datetime.now(UTC), name="w")
    killed = _kill_the_evaluation(store, request.id, worker)
    assert killed is not None and killed.status is Status.PENDING, killed
    assert killed.counted_attempts == 1 and killed.progress_done is None
    lost = store.events_for(request.id)[-1]
    assert lost.kind == "lost" and "SIGKILL from outside" in lost.message and lost.attempt == 1

    def kernel_kills_for_memory() -> None:  # while the evaluation runs, as the kernel's would
        events.write_text("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n")

    out_of_memory = _kill_the_evaluation(store, request.id, worker, kernel_kills_for_memory)
    assert out_of_memory is not None and out_of_memory.status is Status.FAILED
    assert out_of_memory.failure_kind is FailureKind.OUT_OF_MEMORY, out_of_memory
    assert out_of_memory.failure_reason and "oom_kill" in out_of_memory.failure_reason


def test_a_requeue_starts_a_fresh_budget_and_the_story_is_in_the_json_twins(
    context: Context, cli_env: dict[str, str]
) -> None:
    store = context.store
    request = store.add_request(new_request(model="org/story"), "alice")
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    for attempt in (1, 2, 3):
        claimed = claim_next(store, f"w{attempt}", lambda at=now: at, lease_seconds=60)
        assert claimed is not None
        store.queue.set_progress(claimed.id, claimed.attempts, 460, 516)
        now += timedelta(seconds=61)
        reap(store, now, max_attempts=3, timeout_seconds=None)
    failed = store.get_request(request.id)
    assert failed is not None and failed.status is Status.FAILED and failed.counted_attempts == 3
    assert requeue(store, failed, actor="admin", at=now, reason="the node was fixed")
    back = store.get_request(request.id)
    assert back is not None and back.status is Status.PENDING
    assert back.counted_attempts == 0 and back.progress_done is None and back.failure_reason is None
    again = claim_next(store, "w4", lambda: now, lease_seconds=60)
    assert again is not None and again.counted_attempts == 1  # "attempt 1", not "attempt 4"

    with TestClient(create_app(store, SUITES)) as client:
        entry = next(
            r for r in client.get("/api/queue").json()["requests"] if r["id"] == request.id
        )
        page = client.get("/queue").text
        model = client.get("/api/models/org/story").json()["evaluations"][0]
    story = [(e["kind"], e["actor"], e["claim"]) for e in entry["history"]]
    assert story == [
        ("submitted", "alice", None),
        ("claim", "w1", 1), ("lost", "reaper", 1), ("claim", "w2", 2), ("lost", "reaper", 2),
        ("claim", "w3", 3), ("fail", "reaper", 3), ("requeue", "admin", 3), ("claim", "w4", 4),
    ]  # fmt: skip
    requeued = next(e for e in entry["history"] if e["kind"] == "requeue")
    assert "the node was fixed" in requeued["message"] and "do not count" in requeued["message"]
    assert entry["attempts"] == 1 and model["history"] == entry["history"]
    assert "requeued by admin: the node was fixed" in page

    shown = CliRunner().invoke(cli, ["queue", str(request.id)], env=cli_env)
    assert shown.exit_code == 0, shown.output
    assert "requeue" in shown.output and "claimed by w4 (attempt 1)" in shown.output
    as_json = CliRunner().invoke(cli, ["queue", str(request.id), "--json"], env=cli_env)
    assert '"kind": "requeue"' in as_json.output


@pytest.mark.skipif(not POSTGRES_SERVER, reason="PostgreSQL's lock_timeout")
def test_postgresql_statements_give_up_after_the_lock_timeout(context: Context) -> None:
    from openboard.store import DatabaseUnavailableError

    store = Store.open(context.settings.database_url, BUSY_S)
    store.add_request(new_request(), "t")
    with database_locked(context.settings.database_url, LOCK_S):
        started = time.monotonic()
        with pytest.raises(DatabaseUnavailableError, match="lock"):
            store.queue.pending_in_order()
        assert time.monotonic() - started < LOCK_S
