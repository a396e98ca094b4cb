"""The evaluation process: `python -m openboard.worker._child WORKDIR`.

Runs one request in its own process, so that a worker can stop it within seconds (cancel,
timeout, lost lease) and a model that crashes or exhausts memory takes only this process down.
It dies with its worker (PR_SET_PDEATHSIG), reports progress to the store fenced by its attempt
(best effort: a busy database never ends an evaluation), and leaves `outcome.json` or
`failure.json` in WORKDIR.
"""

import ctypes
import json
import logging
import os
import resource
import signal
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

JOB_FILE = "job.json"
FAILURE_FILE = "failure.json"
LOG_FILE = "evaluation.log"
SUPERSEDED = 3  # exit status: the attempt was no longer current when the process started
DATABASE_UNAVAILABLE = 4  # exit status: the request could not be read before the lease ran out


def _die_with_parent(parent: int) -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the worker died before prctl took effect
        os._exit(1)


def _limit_memory(gib: float, device: str) -> None:
    """Cap this process's address space, so a model too big for the machine fails here with
    MemoryError (out of memory) instead of swapping the server to a halt. CPU only: CUDA reserves
    far more address space than it uses."""
    if gib > 0 and device == "cpu":
        limit = int(gib * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


class BestEffortProgress:
    """Progress written by a thread of its own, the latest count only: a database that is locked
    or down slows the evaluation not at all and ends it never; a failed write is logged and the
    next count tried."""

    def __init__(self, write: Callable[[int, int], None]) -> None:
        self._write = write
        self._latest: tuple[int, int] | None = None
        self._changed = threading.Event()
        threading.Thread(target=self._run, name="progress", daemon=True).start()

    def __call__(self, done: int, total: int) -> None:
        self._latest = (done, total)
        self._changed.set()

    def _run(self) -> None:
        from openboard.store import DatabaseUnavailableError

        while self._changed.wait():
            self._changed.clear()
            if self._latest is None:
                continue
            try:
                self._write(*self._latest)
            except DatabaseUnavailableError as exc:
                logging.getLogger("openboard.worker").warning("progress not saved: %s", exc.reason)


def main(workdir: Path) -> int:
    job = json.loads((workdir / JOB_FILE).read_text())
    _die_with_parent(int(job["parent_pid"]))
    from openboard.config import Settings
    from openboard.sources import build_source
    from openboard.store import Store
    from openboard.worker._evaluate import OUTCOME_FILE, evaluate_request, write_outcome
    from openboard.worker._failures import classify_failure
    from openboard.worker._logcapture import capture_log
    from openboard.worker._retry import GaveUpError, until_deadline

    settings = Settings(**job["settings"])
    _limit_memory(settings.eval_memory_gib, settings.eval_device)
    store = Store.open(settings.database_url, settings.database_busy_timeout_seconds)
    request_id, attempt = int(job["request_id"]), int(job["attempt"])
    started = datetime.now(UTC)
    try:
        request = until_deadline(
            f"read request #{request_id}", lambda: store.get_request(request_id),
            lambda: started + timedelta(seconds=settings.lease_seconds), lambda: datetime.now(UTC),
        )  # fmt: skip
    except GaveUpError:
        return DATABASE_UNAVAILABLE
    if request is None or request.attempts != attempt:
        return SUPERSEDED
    log = logging.getLogger("openboard.worker")
    with capture_log(workdir / LOG_FILE):
        try:
            outcome = evaluate_request(
                settings,
                build_source(settings),
                request,
                workdir,
                progress=BestEffortProgress(
                    lambda done, total: store.queue.set_progress(request_id, attempt, done, total)
                ),
            )
        except Exception as exc:
            log.exception("evaluation of request #%d failed", request_id)
            kind, reason = classify_failure(exc)
            (workdir / FAILURE_FILE).write_text(json.dumps({"kind": kind.value, "reason": reason}))
            return 1
    write_outcome(workdir / OUTCOME_FILE, outcome)
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
