"""Queue throughput and submission latency on SQLite and PostgreSQL.

Run: .venv/bin/python bench/queue_throughput.py [--requests 1500] [--workers 1,4,16] [--backends sqlite,postgresql]
PostgreSQL comes from scripts/postgres.sh (installed and started on 127.0.0.1:54329 if needed).

Claim-and-finish: N worker processes take requests with `claim_next` (lease, fair-share order,
FOR UPDATE SKIP LOCKED on PostgreSQL) and record a result with `finish` (fenced by attempt), as a
worker does, with no evaluation in between: the rate is the queue's own ceiling. The 1-worker run is
the baseline each row's ratio compares against. Submission latency: 8 processes add requests through
`Store.add_request` with the rate limit checked in the same transaction, as `openboard submit` does.
"""

import argparse
import multiprocessing
import subprocess
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from openboard.domain import BenchmarkScore, ModelType, PinKind, Precision, TaskScore, WeightType
from openboard.queue import claim_next, finish
from openboard.store import Admission, NewRequest, Store

ROOT = Path(__file__).resolve().parents[1]
TASK = [TaskScore("bench", "bench_task", "acc", 0.5, 0.01, 2, 0.0, 10)]
BENCHMARK = [BenchmarkScore("bench", 0.5, 0.0)]


def new_request(i: int, at: datetime) -> NewRequest:
    return NewRequest(
        model=f"org{i % 25}/model-{i}", base_model=None, requested_revision="main",
        revision=f"{i:040x}", pin=PinKind.GIT_COMMIT, precision=Precision.BFLOAT16,
        weight_type=WeightType.ORIGINAL, model_type=ModelType.PRETRAINED, use_chat_template=False,
        params=1, architectures=["LlamaForCausalLM"], sender="bench", submitted_time=at,
        suite="starter",
    )  # fmt: skip


def fresh_database(backend: str, folder: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"
    server = subprocess.run([str(ROOT / "scripts" / "postgres.sh"), "start"], check=True,
                            capture_output=True, text=True).stdout.strip()  # fmt: skip
    name = f"openboard_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def _work(url: str, name: str, start: "multiprocessing.synchronize.Barrier") -> None:
    store = Store.open(url)
    store.get_request(0)  # connect before the clock starts
    start.wait()
    while (request := claim_next(store, name, lambda: datetime.now(UTC), 60)) is not None:
        finish(store, request, actor=name, at=datetime.now(UTC), task_scores=TASK,
               benchmark_scores=BENCHMARK, average=0.0, eval_seconds=0.0, co2_kg=0.0)  # fmt: skip


def claim_throughput(backend: str, workers: int, requests: int, folder: Path) -> float:
    url = fresh_database(backend, folder)
    store = Store.open(url)
    store.migrate()
    t0 = datetime.now(UTC)
    for i in range(requests):
        store.add_request(new_request(i, t0 + timedelta(microseconds=i)), "bench")
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(workers + 1)
    procs = [spawn.Process(target=_work, args=(url, f"w{n}", start)) for n in range(workers)]
    for proc in procs:
        proc.start()
    start.wait()
    began = time.perf_counter()
    for proc in procs:
        proc.join()
        assert proc.exitcode == 0
    elapsed = time.perf_counter() - began
    finished = [r for r in store.list_requests() if r.status.value == "FINISHED"]
    assert len(finished) == requests and all(r.attempts == 1 for r in finished), "lost or repeated"
    store.engine.dispose()
    return requests / elapsed


def _submit(url: str, offset: int, count: int, start: "multiprocessing.synchronize.Barrier",
            out: "multiprocessing.Queue[list[float]]") -> None:  # fmt: skip
    store = Store.open(url)
    store.get_request(0)
    start.wait()
    latencies = []
    for i in range(offset, offset + count):
        now = datetime.now(UTC)
        admission = Admission(limit=10**9, window_start=now - timedelta(days=7), window_days=7)
        began = time.perf_counter()
        store.add_request(new_request(i, now), "bench", admission)
        latencies.append(time.perf_counter() - began)
    out.put(latencies)


def submit_latency(backend: str, submitters: int, each: int, folder: Path) -> list[float]:
    url = fresh_database(backend, folder)
    Store.open(url).migrate()
    spawn = multiprocessing.get_context("spawn")
    start = spawn.Barrier(submitters)
    out: multiprocessing.Queue[list[float]] = spawn.Queue()
    procs = [spawn.Process(target=_submit, args=(url, n * each, each, start, out))
             for n in range(submitters)]  # fmt: skip
    for proc in procs:
        proc.start()
    latencies = [x for _ in procs for x in out.get(timeout=600)]
    for proc in procs:
        proc.join()
    return sorted(latencies)


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(p / 100 * len(sorted_values)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1500)
    parser.add_argument("--workers", default="1,4,16")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--submissions", type=int, default=100, help="per submitter (8 submitters)")
    args = parser.parse_args()
    workers = [int(w) for w in args.workers.split(",")]
    backends = args.backends.split(",")
    headline: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="openboard-bench-queue-") as tmp:
        folder = Path(tmp)
        print(f"claim-and-finish, {args.requests} requests, 25 namespaces (fair share)")
        print(f"{'backend':<11}{'workers':>8}{'claims/s':>11}{'vs 1 worker':>13}")
        for backend in backends:
            baseline = None
            for count in workers:
                rate = claim_throughput(backend, count, args.requests, folder)
                baseline = baseline or rate
                print(f"{backend:<11}{count:>8}{rate:>11.1f}{rate / baseline:>12.2f}x")
                headline[f"claims_per_s_{backend}_{count}_workers"] = f"{rate:.1f}"
        print(f"\nsubmission latency, 8 concurrent submitters x {args.submissions}")
        print(f"{'backend':<11}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
        for backend in backends:
            lat = submit_latency(backend, 8, args.submissions, folder)
            p50, p99 = percentile(lat, 50) * 1e3, percentile(lat, 99) * 1e3
            print(f"{backend:<11}{p50:>9.1f}{p99:>9.1f}{lat[-1] * 1e3:>9.1f}")
            headline[f"submit_p50_ms_{backend}"] = f"{p50:.1f}"
            headline[f"submit_p99_ms_{backend}"] = f"{p99:.1f}"
    print()
    for name, value in headline.items():
        print(f"{name}: {value}")


if __name__ == "__main__":
    main()
