import logging
import os
import shutil
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from openboard.config import Settings
from openboard.domain import Status
from openboard.evaluation import all_suites
from openboard.queue import claim_next, fail, finish, hand_back, reap, release, renew
from openboard.store import DatabaseUnavailableError, EvalRequest, Store
from openboard.worker._child import LOG_FILE
from openboard.worker._contamination import store_evidence
from openboard.worker._intervals import record_intervals
from openboard.worker._job import (
    Evaluation,
    EvaluationJob,
    Failed,
    Finished,
    JobControl,
    Lost,
    Outcome,
    Stopped,
)
from openboard.worker._logcapture import tail
from openboard.worker._retry import GaveUpError, until_deadline
from openboard.worker._runs import publish_run

log = logging.getLogger(__name__)

SHUTDOWN = "the worker is shutting down"

T = TypeVar("T")


def default_worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class _Lease:
    """Until when this worker knows its attempt is its own: the claim's lease, then each renewal's."""

    def __init__(self, request: EvalRequest, clock: Callable[[], datetime], seconds: float) -> None:
        self.expires = request.lease_expires_at or clock() + timedelta(seconds=seconds)


class Worker:
    """Claims requests with a lease, renews it while the evaluation runs, and records the outcome
    once: every write is fenced by the attempt number, so a worker that lost its lease (and came
    back late) changes nothing. A busy database (locked, restarting) is waited out: renewals and
    the outcome are retried with backoff until the lease runs out."""

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
        request = claim_next(self._store, self.name, self._clock, settings.lease_seconds)
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
        lease = _Lease(request, self._clock, settings.lease_seconds)
        self.current = control
        try:
            with self._heartbeat(request, control, lease):
                outcome = self._evaluation.run(job, control)
                # Still under the heartbeat: the lease holds while the outcome waits for the database.
                self._record(job, outcome, lease)
        finally:
            self.current = None
        return self._store.get_request(request.id)

    def run_waiting(self, stop: threading.Event, poll_seconds: float = 5.0) -> EvalRequest | None:
        """`run_once`, tried again every `poll_seconds` while the database is unavailable (locked,
        restarting, failing over) with a warning each time; None also when `stop` is set."""
        while not stop.is_set():
            try:
                return self.run_once()
            except DatabaseUnavailableError as exc:
                log.warning(
                    "database unavailable (%s); retrying in %.0f s", exc.reason, poll_seconds
                )
                stop.wait(poll_seconds)
        return None

    def run_forever(self, stop: threading.Event, poll_seconds: float = 5.0) -> None:
        """Until `stop`: a database that goes away or stays locked is waited for, not fatal."""
        while not stop.is_set():
            if self.run_waiting(stop, poll_seconds) is None:
                stop.wait(poll_seconds)

    def stop_current(self, reason: str = SHUTDOWN) -> None:
        if self.current is not None:
            self.current.stop(reason)

    def _workdir(self, request: EvalRequest) -> Path:
        return self._settings.artifacts_dir / f".{request.id}.attempt-{request.attempts}"

    def _until_lease_ends(self, what: str, write: Callable[[], T], lease: _Lease,
                          stop: threading.Event | None = None) -> T:  # fmt: skip
        return until_deadline(what, write, lambda: lease.expires, self._clock, stop)

    @contextmanager
    def _heartbeat(
        self, request: EvalRequest, control: JobControl, lease: _Lease
    ) -> Iterator[None]:
        """Renew the lease every third of its length, retrying while the database is busy; a
        refused renewal, or a lease that ran out before the database answered, stops the evaluation."""
        seconds = self._settings.lease_seconds
        done = threading.Event()

        def renewed() -> bool:
            started = self._clock()
            if not renew(self._store, request, self._clock, seconds):
                return False
            lease.expires = started + timedelta(seconds=seconds)
            return True

        def beat() -> None:
            while not done.wait(seconds / 3):
                try:
                    current = self._until_lease_ends(
                        f"renew the lease of #{request.id}", renewed, lease, done
                    )
                except GaveUpError as exc:
                    if not done.is_set():
                        control.stop(f"the lease of #{request.id} ran out while the database "
                                     f"was unavailable ({exc.cause.reason})")  # fmt: skip
                    return
                if not current:
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

    def _record(self, job: EvaluationJob, outcome: Outcome, lease: _Lease) -> None:
        """Record the outcome once, retried until the lease runs out; a request whose outcome
        could not be recorded stays RUNNING until the reaper puts it back in the queue."""
        now = self._clock()
        try:
            recorded = self._until_lease_ends(
                f"record the outcome of #{job.request.id}",
                lambda: self._write(job, outcome, now), lease,
            )  # fmt: skip
        except GaveUpError:
            log.warning("request #%d: the outcome is lost; it goes back to the queue when its "
                        "lease is reaped", job.request.id)  # fmt: skip
            recorded = False
        if recorded:
            self._publish(job)
            intervals = record_intervals(self._store, self._settings.artifacts_dir,
                                         all_suites(self._settings.suites_dir), job.request,
                                         actor=self.name, now=self._clock())  # fmt: skip
            if intervals.status == "failed":
                log.warning("request #%d: no confidence intervals: %s", job.request.id,
                            intervals.message)  # fmt: skip
            final = self._settings.artifacts_dir / str(job.request.id)
            store_evidence(self._store, job.request.id, final, now, self.name)
        else:
            shutil.rmtree(job.workdir, ignore_errors=True)

    def _write(self, job: EvaluationJob, outcome: Outcome, now: datetime) -> bool:
        """True when the outcome is the request's result (its files become its artifacts)."""
        request, store, log_tail = job.request, self._store, tail(job.workdir / LOG_FILE)
        match outcome:
            case Finished():
                store.set_run_marks(request.id, outcome.eval_limit, outcome.data_modified)
                return finish(
                    store, request, actor=self.name, at=now,
                    task_scores=outcome.task_scores, benchmark_scores=outcome.benchmark_scores,
                    average=outcome.average, scorer=outcome.scorer,
                    eval_seconds=outcome.eval_seconds, co2_kg=outcome.co2_kg, cost=outcome.cost,
                )  # fmt: skip
            case Failed():
                return fail(store, request, actor=self.name, at=now, reason=outcome.reason,
                            kind=outcome.kind, log_tail=log_tail)  # fmt: skip
            case Lost():  # like a lost worker: another try while attempts remain
                release(store, request, actor=self.name, at=now, reason=outcome.reason,
                        max_attempts=self._settings.max_attempts, log_tail=log_tail)  # fmt: skip
            case Stopped() if outcome.reason == SHUTDOWN:  # not a spent attempt
                hand_back(store, request, actor=self.name, at=now, reason=SHUTDOWN)
            case Stopped():
                log.info("request #%d stopped: %s", request.id, outcome.reason)
        return False

    def _publish(self, job: EvaluationJob) -> None:
        """The recorded attempt's files become the request's artifacts (a re-run's earlier files kept)."""
        request, artifacts = job.request, self._settings.artifacts_dir
        publish_run(
            self._store, request.id, request.attempts, job.workdir, artifacts / str(request.id)
        )
