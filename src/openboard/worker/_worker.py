import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy.exc import OperationalError

from openboard.config import Settings
from openboard.domain import Status
from openboard.queue import claim_next, fail, finish, reap, transition
from openboard.store import EvalRequest, Store
from openboard.worker._child import LOG_FILE
from openboard.worker._job import (
    Evaluation,
    EvaluationJob,
    Failed,
    Finished,
    JobControl,
    Outcome,
    Stopped,
)
from openboard.worker._logcapture import tail

log = logging.getLogger(__name__)

SHUTDOWN = "the worker is shutting down"


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class Worker:
    """Claims requests with a lease, renews it while the evaluation runs, and records the outcome
    once: every write is fenced by the attempt number, so a worker that lost its lease (and came
    back late) changes nothing."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        evaluation: Evaluation,
        clock: Callable[[], datetime],
        name: str | None = None,
    ) -> None:
        self._settings = settings
        self._store = store
        self._evaluation = evaluation
        self._clock = clock
        self.name = name or default_worker_name()
        self.current: JobControl | None = None

    def run_once(self) -> EvalRequest | None:
        """Reap lost requests, then evaluate the next pending one, if any; returns it as stored."""
        settings = self._settings
        reaped = reap(
            self._store,
            self._clock(),
            max_attempts=settings.max_attempts,
            timeout_seconds=settings.eval_timeout_minutes * 60 or None,
            log_tail=lambda r: tail(self._workdir(r) / LOG_FILE),
            actor=self.name,
        )
        for lost in reaped:  # its log tail is stored; the attempt's files have no further use
            shutil.rmtree(self._workdir(lost), ignore_errors=True)
        request = claim_next(self._store, self.name, self._clock(), settings.lease_seconds)
        if request is None:
            return None
        return self._run(request)

    def run_claimed(self, request_id: int, attempt: int) -> EvalRequest | None:
        """Evaluate a request a launcher already claimed (a SLURM job); None when that attempt is
        no longer current (the request was cancelled or handed to another attempt meanwhile)."""
        request = self._store.get_request(request_id)
        if request is None or request.status is not Status.RUNNING or request.attempts != attempt:
            return None
        return self._run(request)

    def _run(self, request: EvalRequest) -> EvalRequest | None:
        settings = self._settings
        log.info(
            "evaluating request #%d (attempt %d): %s@%s",
            request.id, request.attempts, request.model, request.revision[:12],
        )  # fmt: skip
        job = EvaluationJob(request=request, workdir=self._workdir(request))
        timeout = settings.eval_timeout_minutes
        control = JobControl(
            deadline=request.job_start_time + timedelta(minutes=timeout)
            if timeout and request.job_start_time
            else None
        )
        self.current = control
        try:
            with self._heartbeat(request, control):
                outcome = self._evaluation.run(job, control)
        finally:
            self.current = None
        self._record(job, outcome)
        return self._store.get_request(request.id)

    def run_forever(self, stop: threading.Event, poll_seconds: float = 5.0) -> None:
        """Until `stop`: a database that goes away (restart, failover) is waited for, not fatal."""
        while not stop.is_set():
            try:
                if self.run_once() is None:
                    stop.wait(poll_seconds)
            except OperationalError as exc:
                log.warning("database unavailable (%s); retrying in %.0f s", exc.orig, poll_seconds)
                stop.wait(poll_seconds)

    def stop_current(self, reason: str = SHUTDOWN) -> None:
        if self.current is not None:
            self.current.stop(reason)

    def _workdir(self, request: EvalRequest) -> Path:
        return self._settings.artifacts_dir / f".{request.id}.attempt-{request.attempts}"

    @contextmanager
    def _heartbeat(self, request: EvalRequest, control: JobControl) -> Iterator[None]:
        """Renew the lease every third of its length; a refused renewal stops the evaluation."""
        lease = self._settings.lease_seconds
        done = threading.Event()

        def beat() -> None:
            while not done.wait(lease / 3):
                try:
                    renewed = self._store.renew_lease(
                        request.id, request.attempts, self._clock(), lease
                    )
                except OperationalError as exc:  # keep trying until the lease runs out
                    log.warning("could not renew the lease of #%d: %s", request.id, exc.orig)
                    continue
                if not renewed:
                    now = self._store.get_request(request.id)
                    status = now.status if now else None
                    control.stop(
                        "cancelled" if status is Status.CANCELLED
                        else f"request #{request.id} is no longer this worker's ({status})"
                    )  # fmt: skip
                    return

        thread = threading.Thread(target=beat, name=f"lease-{request.id}", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            thread.join()

    def _record(self, job: EvaluationJob, outcome: Outcome) -> None:
        request, now = job.request, self._clock()
        match outcome:
            case Finished():
                self._store.set_run_marks(request.id, outcome.eval_limit, outcome.data_modified)
                recorded = finish(
                    self._store, request, actor=self.name, at=now,
                    task_scores=outcome.task_scores, benchmark_scores=outcome.benchmark_scores,
                    average=outcome.average, scorer=outcome.scorer,
                    eval_seconds=outcome.eval_seconds, co2_kg=outcome.co2_kg,
                )  # fmt: skip
            case Failed():
                recorded = fail(
                    self._store, request, actor=self.name, at=now, reason=outcome.reason,
                    kind=outcome.kind, log_tail=tail(job.workdir / LOG_FILE),
                )  # fmt: skip
            case Stopped() if outcome.reason == SHUTDOWN:
                # Handing the request back is not a lost attempt.
                transition(
                    self._store, request, Status.PENDING, actor=self.name, at=now,
                    message=f"returned: {SHUTDOWN}",
                    fields={"attempts": request.attempts - 1, "lease_expires_at": None,
                            "progress_done": None, "progress_total": None},
                )  # fmt: skip
                recorded = False
            case Stopped():
                log.info("request #%d stopped: %s", request.id, outcome.reason)
                recorded = False
        if recorded:
            self._publish(job)
        else:
            shutil.rmtree(job.workdir, ignore_errors=True)

    def _publish(self, job: EvaluationJob) -> None:
        """The recorded attempt's files become the request's artifacts."""
        final = self._settings.artifacts_dir / str(job.request.id)
        if final.exists():
            shutil.rmtree(final)
        if job.workdir.exists():
            job.workdir.rename(final)
