"""The queue: order, leases, fencing, cancel, timeouts and many workers, on the configured database."""

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from openboard.cli._context import Context
from openboard.config import Settings
from openboard.domain import BenchmarkScore, FailureKind, ModelId, Precision, Status, TaskScore
from openboard.queue import cancel, claim_next, finish, reap
from openboard.store import DuplicateRequestError, Store
from openboard.worker import (
    SHUTDOWN,
    EvaluationJob,
    Finished,
    JobControl,
    Outcome,
    Stopped,
    SubprocessEvaluation,
    Worker,
)

from .conftest import POSTGRES_SERVER
from .processes import alive_in, evaluation_groups
from .test_store import new_request

T0 = datetime(2026, 11, 28, 12, tzinfo=UTC)


def scores(value: float = 0.5) -> Finished:
    return Finished(
        task_scores=[TaskScore("b", "b_task", "acc", value, 0.01, 2, (value - 0.5) * 200, 10)],
        benchmark_scores=[BenchmarkScore("b", value, (value - 0.5) * 200)],
        average=(value - 0.5) * 200,
        eval_seconds=1.0,
        co2_kg=0.0,
    )


class FakeInstantEvaluation:
    """A stand-in for lm-eval through the Evaluation interface: answers at once (queue tests only)."""

    def run(self, job: EvaluationJob, control: JobControl) -> Outcome:
        job.workdir.mkdir(parents=True, exist_ok=True)
        (job.workdir / "evaluation.log").write_text(f"fake evaluation of #{job.request.id}\n")
        return scores()


class FakeWaitingEvaluation:
    """A stand-in that runs until the worker stops it (queue tests only)."""

    def __init__(self) -> None:
        self.started = threading.Event()

    def run(self, job: EvaluationJob, control: JobControl) -> Outcome:
        self.started.set()
        while control.stop_reason is None:
            time.sleep(0.05)
        return Stopped(control.stop_reason)


def test_order_is_priority_then_fair_share_then_submission_time(context: Context) -> None:
    store = context.store
    ids: dict[str, int] = {}
    for minute, model in enumerate(["a/1", "a/2", "a/3", "a/4", "b/1", "b/2", "c/1"]):
        ids[model] = store.add_request(
            new_request(model=model, at=T0 + timedelta(minutes=minute)), "t"
        ).id
    order = [next(m for m, i in ids.items() if i == rid) for rid in store.queue.pending_in_order()]
    assert order == ["a/1", "b/1", "c/1", "a/2", "b/2", "a/3", "a/4"]
    store.set_priority(ids["a/4"], 10, "admin", T0)
    assert store.queue.pending_in_order()[0] == ids["a/4"]
    store.set_priority(ids["a/4"], 0, "admin", T0)
    # Namespace a already has one running: b and c go before a's next.
    assert claim_next(store, "w", lambda: T0) is not None  # a/1
    order = [next(m for m, i in ids.items() if i == rid) for rid in store.queue.pending_in_order()]
    assert order == ["b/1", "c/1", "a/2", "b/2", "a/3", "a/4"]


def test_lost_worker_returns_the_request_then_fails_it_after_n_attempts(context: Context) -> None:
    store = context.store
    request = store.add_request(new_request(), "t")
    now = T0
    for attempt in (1, 2, 3):
        claimed = claim_next(store, f"w{attempt}", lambda at=now: at, lease_seconds=60)
        assert claimed is not None and claimed.attempts == attempt
        assert reap(store, now + timedelta(seconds=59), max_attempts=3, timeout_seconds=None) == []
        now += timedelta(seconds=61)
        assert [r.id for r in reap(store, now, max_attempts=3, timeout_seconds=None,
                                   log_tail=lambda r: "last words")] == [request.id]  # fmt: skip
    final = store.get_request(request.id)
    assert final is not None and final.status is Status.FAILED
    assert final.failure_kind is FailureKind.WORKER_LOST
    assert final.failure_reason and "worker lost 3 times" in final.failure_reason
    assert final.log_tail == "last words"
    moves = [(e.kind, e.from_status, e.to_status, e.attempt) for e in store.events_for(request.id)]
    assert [m for m in moves if m[0] == "lost"] == [
        ("lost", Status.RUNNING, Status.PENDING, 1), ("lost", Status.RUNNING, Status.PENDING, 2)
    ]  # fmt: skip


def test_a_late_worker_cannot_write_after_its_attempt_was_superseded(context: Context) -> None:
    store = context.store
    store.add_request(new_request(), "t")
    first = claim_next(store, "slow", lambda: T0, lease_seconds=10)
    assert first is not None
    reap(store, T0 + timedelta(seconds=11), max_attempts=3, timeout_seconds=None)
    second = claim_next(store, "fast", lambda: T0 + timedelta(seconds=12), lease_seconds=10)
    assert second is not None and second.attempts == 2
    store.queue.set_progress(
        first.id, first.attempts, 5, 10
    )  # the lost worker's progress is ignored
    assert not store.queue.renew(first.id, first.attempts, lambda: T0, 10)
    result = scores(0.9)
    assert not finish(store, first, actor="slow", at=T0, task_scores=result.task_scores,
                      benchmark_scores=result.benchmark_scores, average=result.average,
                      eval_seconds=1, co2_kg=0)  # fmt: skip
    result = scores(0.7)
    assert finish(store, second, actor="fast", at=T0, task_scores=result.task_scores,
                  benchmark_scores=result.benchmark_scores, average=result.average,
                  eval_seconds=1, co2_kg=0)  # fmt: skip
    done = store.get_request(first.id)
    assert done is not None and done.status is Status.FINISHED and done.worker == "fast"
    assert [t.raw for t in store.task_scores(first.id)] == [0.7]
    assert done.progress_done is None


def test_reaper_fails_requests_running_past_the_time_limit(context: Context) -> None:
    store = context.store
    store.add_request(new_request(), "t")
    claimed = claim_next(store, "w", lambda: T0, lease_seconds=3600)
    assert claimed is not None
    assert reap(store, T0 + timedelta(minutes=59), max_attempts=3, timeout_seconds=3600) == []
    reap(store, T0 + timedelta(minutes=61), max_attempts=3, timeout_seconds=3600)
    failed = store.get_request(claimed.id)
    assert failed is not None and failed.failure_kind is FailureKind.TIMEOUT
    assert failed.failure_reason and "60 minutes" in failed.failure_reason


def _worker(settings: Settings, store: Store, evaluation: object) -> Worker:
    return Worker(settings, store, evaluation, lambda: datetime.now(UTC), name="test-worker")  # type: ignore[arg-type]


def test_cancel_stops_a_running_evaluation_at_the_next_heartbeat(context: Context) -> None:
    settings = context.settings.model_copy(update={"lease_seconds": 0.6})
    store = context.store
    request = store.add_request(new_request(), "t")
    evaluation = FakeWaitingEvaluation()
    worker = _worker(settings, store, evaluation)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    assert evaluation.started.wait(10)
    running = store.get_request(request.id)
    assert running is not None and running.status is Status.RUNNING
    cancelled_at = time.monotonic()
    assert cancel(store, running, actor="admin", at=datetime.now(UTC), reason="spam")
    thread.join(10)
    assert not thread.is_alive() and time.monotonic() - cancelled_at < 2
    final = store.get_request(request.id)
    assert final is not None and final.status is Status.CANCELLED
    assert not any(settings.artifacts_dir.glob(f".{request.id}.attempt-*"))


def test_shutdown_hands_the_request_back_without_counting_an_attempt(context: Context) -> None:
    store = context.store
    request = store.add_request(new_request(), "t")
    evaluation = FakeWaitingEvaluation()
    worker = _worker(context.settings, store, evaluation)
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    assert evaluation.started.wait(10)
    worker.stop_current()
    thread.join(10)
    back = store.get_request(request.id)
    assert back is not None and back.status is Status.PENDING and back.counted_attempts == 0
    assert SHUTDOWN in store.events_for(request.id)[-1].message


def test_cancel_kills_the_real_evaluation_process_within_seconds(context: Context) -> None:
    """lm-eval on the tiny model in its child process; cancelling it ends the process group."""
    settings = context.settings.model_copy(update={"lease_seconds": 1.5, "eval_limit": 200})
    store = context.store
    sha = context.source.resolve(ModelId("demo", "tiny"), "main")[0]
    request = store.add_request(replace(new_request(model="demo/tiny", revision=sha)), "t")
    worker = Worker(settings, store, SubprocessEvaluation(settings), lambda: datetime.now(UTC))
    thread = threading.Thread(target=worker.run_once)
    thread.start()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        now = store.get_request(request.id)
        assert now is not None
        if now.progress_done:  # lm-eval is answering requests in the child
            break
        time.sleep(0.2)
    else:
        pytest.fail("the evaluation never reported progress")
    groups = evaluation_groups()
    assert groups, "the evaluation process is not this test's child"
    cancelled_at = time.monotonic()
    assert cancel(store, now, actor="admin", at=datetime.now(UTC), reason="changed my mind")
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - cancelled_at < 10
    assert alive_in(groups) == []
    final = store.get_request(request.id)
    assert final is not None and final.status is Status.CANCELLED and final.average is None


def test_timeout_stops_the_real_evaluation_process(context: Context) -> None:
    settings = context.settings.model_copy(update={"eval_timeout_minutes": 0.05, "eval_limit": 200})
    store = context.store
    sha = context.source.resolve(ModelId("demo", "tiny"), "main")[0]
    request = store.add_request(new_request(model="demo/tiny", revision=sha), "t")
    worker = Worker(settings, store, SubprocessEvaluation(settings), lambda: datetime.now(UTC))
    started = time.monotonic()
    done = worker.run_once()
    assert time.monotonic() - started < 30
    assert done is not None and done.id == request.id and done.status is Status.FAILED
    assert done.failure_kind is FailureKind.TIMEOUT
    assert "ran past its limit" in (done.failure_reason or "")
    # The log was read back; it may still be empty: at 3 s the child can be importing lm-eval yet.
    assert done.log_tail is not None


# ---- many processes ----------------------------------------------------------------------


def _submit_many(url: str, seed: int, results: "multiprocessing.Queue[tuple[int, int]]") -> None:
    store = Store.open(url)
    keys = [
        (f"org{k % 10}/m{k}", Precision.FLOAT16 if k % 2 else Precision.BFLOAT16)
        for k in range(100)
    ]
    order = [keys[i % 100] for i in range(125)]
    random.Random(seed).shuffle(order)
    queued = refused = 0
    for model, precision in order:
        try:
            store.add_request(new_request(model=model, precision=precision), f"p{seed}")
            queued += 1
        except DuplicateRequestError:
            refused += 1
    results.put((queued, refused))


def test_eight_processes_submit_1000_requests_for_100_keys(context: Context) -> None:
    spawn = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[tuple[int, int]] = spawn.Queue()
    procs = [spawn.Process(target=_submit_many, args=(context.settings.database_url, s, results))
             for s in range(8)]  # fmt: skip
    for proc in procs:
        proc.start()
    totals = [results.get(timeout=300) for _ in procs]
    for proc in procs:
        proc.join(60)
    assert sum(q for q, _ in totals) == 100 and sum(r for _, r in totals) == 900
    stored = context.store.list_requests()
    assert len(stored) == 100 and len({(r.model, r.precision) for r in stored}) == 100


def _drain(settings_json: str, name: str) -> None:
    settings = Settings.model_validate_json(settings_json)
    store = Store.open(settings.database_url)
    worker = Worker(settings, store, FakeInstantEvaluation(), lambda: datetime.now(UTC), name=name)
    while worker.run_once() is not None:
        pass


def test_four_workers_drain_200_requests_each_exactly_once(context: Context) -> None:
    store = context.store
    for i in range(200):
        store.add_request(new_request(model=f"org{i % 7}/m{i}"), "t")
    spawn = multiprocessing.get_context("spawn")
    settings_json = context.settings.model_dump_json()
    procs = [spawn.Process(target=_drain, args=(settings_json, f"w{n}")) for n in range(4)]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(300)
        assert proc.exitcode == 0
    requests = store.list_requests()
    assert [r.status for r in requests] == [Status.FINISHED] * 200
    assert all(r.attempts == 1 for r in requests)
    assert all(len(store.task_scores(r.id)) == 1 for r in requests)
    claims = [e for r in requests for e in store.events_for(r.id) if e.to_status is Status.RUNNING]
    assert len(claims) == 200 and len({e.actor for e in claims}) >= 2


@pytest.fixture
def worker_env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**os.environ, **cli_env, "OPENBOARD_LEASE_SECONDS": "2", "OPENBOARD_EVAL_LIMIT": "40"}


def test_sigkill_mid_evaluation_is_taken_over_and_finished_exactly_once(
    context: Context, worker_env: dict[str, str]
) -> None:
    store = context.store
    sha = context.source.resolve(ModelId("demo", "tiny"), "main")[0]
    request = store.add_request(new_request(model="demo/tiny", revision=sha), "t")
    first = subprocess.Popen([sys.executable, "-m", "openboard", "worker", "--poll", "0.5"],
                             env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            now = store.get_request(request.id)
            assert now is not None
            if now.progress_done:
                break
            time.sleep(0.2)
        else:
            pytest.fail("the first worker never made progress")
        groups = evaluation_groups(first.pid)
        assert groups, "the worker's evaluation process was not found below it"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        first.kill()
    time.sleep(1.5)  # PR_SET_PDEATHSIG: the evaluation process died with its worker
    assert alive_in(groups) == []
    second = subprocess.Popen([sys.executable, "-m", "openboard", "worker", "--poll", "0.5"],
                              env=worker_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        deadline = time.monotonic() + 600  # an upper bound: a loaded machine took over 180 s
        while time.monotonic() < deadline:
            now = store.get_request(request.id)
            assert now is not None
            if now.status.is_terminal:
                break
            time.sleep(0.5)
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(180)
    done = store.get_request(request.id)
    assert done is not None and done.status is Status.FINISHED, done
    assert done.attempts == 2
    tasks = store.task_scores(request.id)
    assert len(tasks) == len({t.task for t in tasks}) > 0  # one set of results
    messages = [e.message for e in store.events_for(request.id)]
    assert any("lost" in m for m in messages)
    assert sum(1 for e in store.events_for(request.id) if e.to_status is Status.FINISHED) == 1
    assert (context.settings.artifacts_dir / str(request.id) / "results.json").is_file()
    assert not list(context.settings.artifacts_dir.glob(f".{request.id}.attempt-*"))


@pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="SQLite's file stands in for a server: the SQLite pass runs it"
)
def test_a_worker_started_before_its_database_can_be_opened_waits_for_it(
    tmp_path: Path, worker_env: dict[str, str]
) -> None:
    blocker = tmp_path / "db" / "openboard.db"
    blocker.mkdir(parents=True)  # a folder where the database file goes: SQLite cannot open it
    env = {**worker_env, "OPENBOARD_DATABASE_URL": f"sqlite:///{blocker}"}
    worker = subprocess.Popen([sys.executable, "-m", "openboard", "worker", "--until-empty", "--poll", "0.5"],
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    lines: list[str] = []
    waiting = threading.Event()

    def read() -> None:
        assert worker.stdout is not None
        for line in worker.stdout:
            lines.append(line)
            if "database unavailable at start" in line:
                waiting.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert waiting.wait(120), "".join(lines)
        time.sleep(1.5)  # a few more tries: the worker keeps waiting, it does not exit
        assert worker.poll() is None, "".join(lines)
        blocker.rmdir()
        worker.wait(120)
        reader.join(10)
    finally:
        worker.kill()
    output = "".join(lines)
    assert worker.returncode == 0, output
    assert "no pending request" in output
    assert blocker.is_file()  # created and migrated once it could be


@pytest.mark.skipif(not POSTGRES_SERVER, reason="restarts the PostgreSQL test server")
def test_worker_waiting_for_work_survives_a_postgresql_restart(
    context: Context, worker_env: dict[str, str]
) -> None:
    script = Path(__file__).resolve().parents[1] / "scripts" / "postgres.sh"
    worker = subprocess.Popen([sys.executable, "-m", "openboard", "worker", "--poll", "0.5"],
                              env=worker_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True)  # fmt: skip
    try:
        time.sleep(3)  # the worker is polling an empty queue
        subprocess.run([str(script), "restart"], check=True, capture_output=True)
        time.sleep(2)
        if worker.poll() is not None:
            pytest.fail(f"the worker died with the database:\n{worker.communicate()[0]}")
        sha = context.source.resolve(ModelId("demo", "tiny"), "main")[0]
        context.store.engine.dispose()  # this test's own pool held connections to the old server
        request = context.store.add_request(new_request(model="demo/tiny", revision=sha), "t")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            now = context.store.get_request(request.id)
            assert now is not None
            if now.status.is_terminal:
                break
            time.sleep(0.5)
        assert now.status is Status.FINISHED, now
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=60)
    assert "database unavailable" in output or worker.returncode == 0
