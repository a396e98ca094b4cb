"""The evaluation process: `python -m openboard.worker._child WORKDIR`.

Runs one request in its own process, so that a worker can stop it within seconds (cancel,
timeout, lost lease) and a model that crashes or exhausts memory takes only this process down.
It dies with its worker (PR_SET_PDEATHSIG), reports progress to the store fenced by its attempt,
and leaves `outcome.json` or `failure.json` in WORKDIR.
"""

import ctypes
import json
import logging
import os
import resource
import signal
import sys
from pathlib import Path

JOB_FILE = "job.json"
FAILURE_FILE = "failure.json"
LOG_FILE = "evaluation.log"


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


def main(workdir: Path) -> int:
    job = json.loads((workdir / JOB_FILE).read_text())
    _die_with_parent(int(job["parent_pid"]))
    from openboard.config import Settings
    from openboard.sources import build_source
    from openboard.store import Store
    from openboard.worker._evaluate import OUTCOME_FILE, evaluate_request, write_outcome
    from openboard.worker._failures import classify_failure
    from openboard.worker._logcapture import capture_log

    settings = Settings(**job["settings"])
    _limit_memory(settings.eval_memory_gib, settings.eval_device)
    store = Store.open(settings.database_url)
    request_id, attempt = int(job["request_id"]), int(job["attempt"])
    request = store.get_request(request_id)
    if request is None or request.attempts != attempt:
        return 3  # superseded before it started: nothing to do
    log = logging.getLogger("openboard.worker")
    with capture_log(workdir / LOG_FILE):
        try:
            outcome = evaluate_request(
                settings,
                build_source(settings),
                request,
                workdir,
                progress=lambda done, total: store.set_progress(request_id, attempt, done, total),
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
