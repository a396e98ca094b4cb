"""openboard worker's progress bar reads what the evaluation process writes to the store."""

import io
import time
from dataclasses import replace

from rich.console import Console

from openboard.cli._context import Context
from openboard.cli._progress import progress_line, worker_progress
from openboard.queue import claim_next

from .test_store import T0, new_request


def test_the_bar_follows_the_stored_progress(context: Context) -> None:
    store = context.store
    store.add_request(replace(new_request(model="org/bar")), actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None
    assert progress_line(store.queue.running_jobs("w1")) == (f"#{running.id} org/bar", 0, None)
    store.queue.set_progress(running.id, running.attempts, 37, 120)
    assert progress_line(store.queue.running_jobs("w1")) == (f"#{running.id} org/bar", 37, 120)
    assert progress_line(store.queue.running_jobs("w2")) is None

    screen = io.StringIO()
    console = Console(file=screen, force_terminal=True, width=100)
    with worker_progress(lambda: store.queue.running_jobs("w1"), console):
        time.sleep(1.6)
    assert "org/bar" in screen.getvalue() and "37/120" in screen.getvalue()
    quiet = io.StringIO()
    with worker_progress(lambda: store.queue.running_jobs("w1"), Console(file=quiet)):
        time.sleep(1.2)
    assert quiet.getvalue() == ""  # not a terminal: no bar in logs
