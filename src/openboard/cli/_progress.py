"""A progress bar for `openboard worker` on a terminal: the evaluation process writes its progress
to the store (that is how the queue page shows it); this reads it back once a second."""

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from openboard.store import DatabaseUnavailableError, EvalRequest


def progress_line(running: list[EvalRequest]) -> tuple[str, int, int | None] | None:
    """What the bar shows: the request, lm-eval requests done, and their total (None: unknown)."""
    if not running:
        return None
    request = running[0]
    label = f"#{request.id} {request.model}"
    return label, request.progress_done or 0, request.progress_total


@contextmanager
def worker_progress(
    running: Callable[[], list[EvalRequest]], console: Console | None = None
) -> Iterator[None]:
    console = console or Console(stderr=True)
    if not console.is_terminal:  # logs and CI: the per-request lines say enough
        yield
        return
    stop = threading.Event()
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, transient=True,
    ) as bar:  # fmt: skip
        task = bar.add_task("waiting for a request", total=None)

        def follow() -> None:
            while not stop.wait(1.0):
                try:
                    line = progress_line(running())
                except DatabaseUnavailableError:
                    continue  # the worker's own loop waits for the database and says so
                if line is None:
                    bar.update(task, description="waiting for a request", completed=0, total=None)
                else:
                    label, done, total = line
                    bar.update(task, description=label, completed=done, total=total)

        thread = threading.Thread(target=follow, daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(5)
