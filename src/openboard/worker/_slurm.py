"""The SLURM launcher: one batch job per pending request, followed until it ends.

The dispatcher claims a request (its lease), submits `openboard worker --request ID --attempt N`
with sbatch, keeps the lease alive while SLURM holds the job, and maps how SLURM ended it to the
request: a job that ran records its own result (fenced by the attempt); CANCELLED, TIMEOUT,
NODE_FAIL, OUT_OF_MEMORY and the like FAIL the request with SLURM's state and reason. Job states come
from `scontrol show job`, which needs no accounting database (slurmctld keeps ended jobs for
MinJobAge seconds).
"""

import json
import logging
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from openboard.config import Settings
from openboard.domain import FailureKind
from openboard.queue import claim_next, fail, reap, renew
from openboard.store import EvalRequest, Store
from openboard.worker._logcapture import tail

log = logging.getLogger(__name__)

LAUNCHER_PREFIX = "slurm:"
ACTIVE_STATES = frozenset(
    {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"}
)
_FAILURE_KINDS = {"TIMEOUT": FailureKind.TIMEOUT, "OUT_OF_MEMORY": FailureKind.OUT_OF_MEMORY}


@dataclass(frozen=True, slots=True)
class JobState:
    state: str  # SLURM's JobState, e.g. RUNNING, CANCELLED, TIMEOUT; "UNKNOWN" when purged
    reason: str
    start_time: datetime | None


def job_state(job_id: str) -> JobState:
    answer = subprocess.run(
        ["scontrol", "show", "job", "--oneliner", job_id], capture_output=True, text=True
    )
    if answer.returncode != 0:
        return JobState("UNKNOWN", answer.stderr.strip() or "scontrol does not know the job", None)
    fields = dict(item.split("=", 1) for item in shlex.split(answer.stdout.strip()) if "=" in item)
    start = fields.get("StartTime", "Unknown")
    return JobState(
        state=fields.get("JobState", "UNKNOWN").split()[0],
        reason=fields.get("Reason", "None"),
        start_time=datetime.fromisoformat(start).replace(tzinfo=UTC)
        if start not in ("Unknown", "None", "")
        else None,
    )


class SlurmDispatcher:
    def __init__(
        self,
        settings: Settings,
        store: Store,
        clock: Callable[[], datetime],
        name: str,
        state_of: Callable[[str], JobState] = job_state,
    ) -> None:
        self._settings = settings
        self._store = store
        self._clock = clock
        self.name = f"{LAUNCHER_PREFIX}{name}"
        self._state_of = state_of

    def poll_once(self) -> int:
        """Follow every job, then submit pending requests up to the job limit; returns jobs in flight."""
        settings = self._settings
        reap(self._store, self._clock(), max_attempts=settings.max_attempts,
             timeout_seconds=settings.eval_timeout_minutes * 60 or None, actor=self.name)  # fmt: skip
        in_flight = 0
        for request in self._store.queue.running_jobs(LAUNCHER_PREFIX):
            if request.job_id is None:
                continue
            if self._follow(request):
                in_flight += 1
        while in_flight < settings.slurm_max_jobs:
            claimed = claim_next(self._store, self.name, self._clock, settings.lease_seconds)
            if claimed is None:
                break
            self._submit(claimed)
            in_flight += 1
        return in_flight

    def _follow(self, request: EvalRequest) -> bool:
        assert request.job_id is not None
        job = self._state_of(request.job_id)
        now = self._clock()
        if job.state in ACTIVE_STATES:
            renew(self._store, request, self._clock, self._settings.lease_seconds)
            if (
                job.state == "RUNNING"
                and job.start_time
                and request.job_start_time != job.start_time
            ):
                self._store.queue.set_job(
                    request.id, request.attempts, request.job_id, job.start_time
                )
            return True
        current = self._store.get_request(request.id)
        if current is None or current.attempts != request.attempts or current.status.is_terminal:
            return False  # the job recorded its outcome itself
        if job.state == "COMPLETED":
            reason = f"SLURM job {request.job_id} completed without recording a result"
            kind = FailureKind.HARNESS
        else:
            detail = "" if job.reason in ("None", "") else f" ({job.reason})"
            reason = f"SLURM job {request.job_id} {job.state}{detail}"
            kind = _FAILURE_KINDS.get(job.state, FailureKind.CLUSTER)
        fail(self._store, current, actor=self.name, at=now, reason=reason, kind=kind,
             log_tail=tail(self._job_log(request)))  # fmt: skip
        return False

    def _job_log(self, request: EvalRequest) -> Path:
        return self._settings.artifacts_dir / f".slurm-{request.id}-attempt-{request.attempts}.log"

    def _submit(self, request: EvalRequest) -> None:
        settings = self._settings
        settings.artifacts_dir.mkdir(parents=True, exist_ok=True)
        settings_file = (
            settings.artifacts_dir / f".slurm-{request.id}-attempt-{request.attempts}.json"
        )
        plain, secrets = settings.split_secrets()
        settings_file.write_text(json.dumps(plain))
        command = [
            sys.executable, "-m", "openboard", "worker",
            "--request", str(request.id), "--attempt", str(request.attempts),
            "--settings", str(settings_file),
        ]  # fmt: skip
        sbatch = [
            "sbatch", "--parsable",
            f"--job-name=openboard-{request.id}",
            f"--output={self._job_log(request)}",
            f"--time={settings.slurm_time_minutes}",
            *([f"--partition={settings.slurm_partition}"] if settings.slurm_partition else []),
            *([f"--gres=gpu:{settings.slurm_gpus}"] if settings.slurm_gpus else []),
            *settings.slurm_extra_args,
            "--wrap", shlex.join(command),
        ]  # fmt: skip
        # sbatch hands its environment to the job (--export=ALL): the secrets travel there.
        answer = subprocess.run(
            sbatch, capture_output=True, text=True, env={**os.environ, **secrets}
        )
        if answer.returncode != 0:
            fail(self._store, request, actor=self.name, at=self._clock(), kind=FailureKind.CLUSTER,
                 reason=f"sbatch refused the job: {answer.stderr.strip()}")  # fmt: skip
            return
        job_id = answer.stdout.strip().split(";")[0]
        self._store.queue.set_job(request.id, request.attempts, job_id)
        log.info("request #%d is SLURM job %s", request.id, job_id)
