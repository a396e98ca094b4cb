"""The real evaluation: lm-eval in a child process that the worker watches, and stops when told."""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from openboard.config import Settings
from openboard.domain import FailureKind
from openboard.worker._child import DATABASE_UNAVAILABLE, FAILURE_FILE, JOB_FILE, LOG_FILE
from openboard.worker._evaluate import OUTCOME_FILE, read_outcome
from openboard.worker._job import EvaluationJob, Failed, JobControl, Lost, Outcome, Stopped
from openboard.worker._oom import counter_files, oom_kill_between, read_counters

_POLL_SECONDS = 0.5
_GRACE_SECONDS = 5.0


class SubprocessEvaluation:
    """Runs `openboard.worker._child` for each job; `gpus` becomes its CUDA_VISIBLE_DEVICES.
    `oom_counters` are the files whose `oom_kill` count tells an out-of-memory kill apart."""

    def __init__(
        self,
        settings: Settings,
        gpus: str | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        oom_counters: Callable[[], list[Path]] = counter_files,
    ) -> None:
        self._settings = settings
        self._gpus = gpus
        self._clock = clock
        self._oom_counters = oom_counters

    def run(self, job: EvaluationJob, control: JobControl) -> Outcome:
        job.workdir.mkdir(parents=True, exist_ok=True)
        settings, secrets = self._settings.split_secrets()
        (job.workdir / JOB_FILE).write_text(
            json.dumps(
                {
                    "request_id": job.request.id,
                    "attempt": job.request.attempts,
                    "parent_pid": os.getpid(),
                    "settings": settings,
                }
            )
        )
        env = {**os.environ, **secrets}  # secrets by environment, never in the job file
        if self._gpus is not None:
            env["CUDA_VISIBLE_DEVICES"] = self._gpus
        oom_before = read_counters(self._oom_counters())
        with (job.workdir / LOG_FILE).open("ab") as log:
            child = subprocess.Popen(
                [sys.executable, "-m", "openboard.worker._child", str(job.workdir)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,  # its own process group: stopping it stops all it started
            )
            returncode = self._watch(child, control)
        if isinstance(returncode, Stopped | Failed):
            return returncode
        return self._outcome(job, control, returncode, oom_before)

    def _outcome(
        self, job: EvaluationJob, control: JobControl, returncode: int, oom_before: dict[Path, int]
    ) -> Outcome:
        if (reason := control.stop_reason) is not None:
            return Stopped(reason)
        if returncode == -signal.SIGTERM:
            # Terminated from outside (a batch system ending the job, an operator): not the model's
            # doing. Nothing is recorded; the lease runs out, or the launcher reports why.
            return Stopped("the evaluation process was terminated (SIGTERM)")
        if (job.workdir / OUTCOME_FILE).is_file():
            return read_outcome(job.workdir / OUTCOME_FILE)
        if (job.workdir / FAILURE_FILE).is_file():
            failure = json.loads((job.workdir / FAILURE_FILE).read_text())
            return Failed(FailureKind(failure["kind"]), str(failure["reason"]))
        if returncode < 0:
            name = signal.Signals(-returncode).name
            limit = self._settings.eval_memory_gib
            if (
                limit
                and name == "SIGABRT"
                and b"bad_alloc" in (job.workdir / LOG_FILE).read_bytes()
            ):
                return Failed(
                    FailureKind.OUT_OF_MEMORY,
                    f"ran out of memory: the evaluation reached its {limit:g} GiB limit "
                    "(eval_memory_gib); evaluate in a lower precision or raise the limit",
                )
            if name == "SIGKILL":
                return self._killed(oom_before)
            return Failed(FailureKind.HARNESS, f"the evaluation process was killed by {name}")
        if returncode == DATABASE_UNAVAILABLE:
            return Lost(
                "the evaluation process could not read its request: the database was unavailable"
            )
        return Failed(
            FailureKind.HARNESS,
            f"the evaluation process exited with status {returncode} and left no result",
        )

    def _killed(self, oom_before: dict[Path, int]) -> Outcome:
        counters = read_counters(self._oom_counters())
        moved = oom_kill_between(oom_before, counters)
        if moved is not None:
            return Failed(
                FailureKind.OUT_OF_MEMORY,
                f"ran out of memory: the kernel's out-of-memory killer ended the evaluation "
                f"(oom_kill rose in {moved}); evaluate in a lower precision or on a larger machine",
            )
        seen = "no out-of-memory kill recorded" if counters else "no out-of-memory counter readable"
        return Lost(f"the evaluation process was killed by SIGKILL from outside ({seen})")

    def _watch(self, child: subprocess.Popen[bytes], control: JobControl) -> int | Stopped | Failed:
        while True:
            try:
                return child.wait(timeout=_POLL_SECONDS)
            except subprocess.TimeoutExpired:
                pass
            if (reason := control.stop_reason) is not None:
                _stop(child)
                return Stopped(reason)
            if control.deadline is not None and self._clock() >= control.deadline:
                _stop(child)
                return Failed(
                    FailureKind.TIMEOUT,
                    f"timeout: the evaluation ran past its limit ({control.deadline:%Y-%m-%d %H:%M:%S} UTC)",
                )


def _stop(child: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the child's process group, SIGKILL if it is still there after a grace period."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + _GRACE_SECONDS
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.1)
    # Also when the child left in time: processes it forked (same group) may outlive it.
    with contextlib.suppress(ProcessLookupError):  # the whole group is gone: nothing to stop
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()
