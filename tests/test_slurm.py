"""The SLURM launcher against a real single-node SLURM (scripts/slurm.sh installs and starts it)."""

import subprocess
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openboard.cli._context import Context
from openboard.demo import TinyModelSpec, write_tiny_model
from openboard.domain import FailureKind, ModelId, Status
from openboard.store import EvalRequest
from openboard.worker import SlurmDispatcher, job_state

from .test_store import new_request

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "slurm.sh"


@pytest.fixture(scope="session")
def slurm_cluster() -> None:
    started = subprocess.run([str(SCRIPT), "start"], capture_output=True, text=True)
    if started.returncode != 0:
        pytest.fail(f"scripts/slurm.sh start failed:\n{started.stdout}\n{started.stderr}")


def dispatcher(context: Context, **settings: object) -> SlurmDispatcher:
    configured = context.settings.model_copy(
        update={"eval_limit": 20, "lease_seconds": 30, **settings}
    )
    return SlurmDispatcher(configured, context.store, lambda: datetime.now(UTC), "test")


def submit_tiny(context: Context, name: str = "tiny") -> EvalRequest:
    sha = context.source.resolve(ModelId("demo", name), "main")[0]
    return context.store.add_request(new_request(model=f"demo/{name}", revision=sha), "t")


@pytest.fixture(scope="session")
def slow_model(model_library: Path) -> str:
    """A wide, deep random model: with the job settings below, its evaluation runs for over ten
    minutes on two cores."""
    write_tiny_model(
        model_library / "demo" / "slow", TinyModelSpec(hidden_size=1024, layers=24, heads=16)
    )
    return "slow"


def poll_until(
    slurm: SlurmDispatcher, context: Context, request_id: int,
    done: Callable[[EvalRequest], bool], seconds: float,
) -> EvalRequest:  # fmt: skip
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        slurm.poll_once()
        request = context.store.get_request(request_id)
        assert request is not None
        if done(request):
            return request
        time.sleep(1)
    pytest.fail(f"request #{request_id} never got there: {context.store.get_request(request_id)}")


def test_a_request_runs_as_a_slurm_job_and_finishes(slurm_cluster: None, context: Context) -> None:
    slurm = dispatcher(context)
    request = submit_tiny(context)
    # Upper bounds only: under a loaded machine (CI shares its cores) the tiny job has taken over 240 s.
    done = poll_until(slurm, context, request.id, lambda r: r.status.is_terminal, 600)
    assert done.status is Status.FINISHED, done
    assert done.job_id and done.job_id.isdigit() and done.job_start_time is not None
    assert done.worker and done.worker.startswith("slurm:")
    deadline = time.monotonic() + 60  # the job exits right after it records the result
    while job_state(done.job_id).state != "COMPLETED" and time.monotonic() < deadline:
        time.sleep(1)
    assert job_state(done.job_id).state == "COMPLETED"
    assert context.store.task_scores(request.id)


def test_scancel_fails_the_request_with_slurms_reason(
    slurm_cluster: None, context: Context
) -> None:
    slurm = dispatcher(context)
    request = submit_tiny(context)
    running = poll_until(
        slurm, context, request.id,
        lambda r: r.job_id is not None and job_state(r.job_id).state == "RUNNING", 60,
    )  # fmt: skip
    assert running.job_id is not None
    subprocess.run(["scancel", running.job_id], check=True)
    failed = poll_until(slurm, context, request.id, lambda r: r.status.is_terminal, 60)
    assert failed.status is Status.FAILED and failed.failure_kind is FailureKind.CLUSTER
    assert failed.failure_reason == f"SLURM job {running.job_id} CANCELLED"


def test_a_job_past_its_time_limit_fails_as_a_timeout(
    slurm_cluster: None, context: Context, slow_model: str
) -> None:
    # SLURM limits are whole minutes, and slurmctld only checks them periodically: a job with a
    # 1-minute limit has been seen running for two. A 12-layer model's starter suite took 106 s
    # and once finished inside the limit, so the job must outlast the check by far: the whole
    # starter suite one document at a time, then the contamination probe at its largest budget
    # (as long again), on a 24-layer model.
    slurm = dispatcher(
        context, slurm_time_minutes=1, eval_limit=None, eval_batch_size="1",
        contamination_suites=["starter"], contamination_budget=1.0, contamination_permutations=50,
    )  # fmt: skip
    request = submit_tiny(context, slow_model)
    failed = poll_until(slurm, context, request.id, lambda r: r.status.is_terminal, 360)
    assert failed.status is Status.FAILED, f"the job was not stopped at its time limit: {failed}"
    assert failed.failure_kind is FailureKind.TIMEOUT
    assert failed.failure_reason is not None
    assert failed.failure_reason.startswith(f"SLURM job {failed.job_id} TIMEOUT")
