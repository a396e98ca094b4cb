"""Writes that outlast a busy database: retried with backoff while the attempt's lease holds."""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from openboard.store import DatabaseUnavailableError

log = logging.getLogger("openboard.worker")

T = TypeVar("T")

FIRST_DELAY_SECONDS = 0.5
MAX_DELAY_SECONDS = 8.0


class GaveUpError(Exception):
    """The database stayed unavailable until the deadline; `cause` is its last answer."""

    def __init__(self, cause: DatabaseUnavailableError) -> None:
        super().__init__(cause.reason)
        self.cause = cause


def until_deadline(
    what: str,
    write: Callable[[], T],
    deadline: Callable[[], datetime],
    clock: Callable[[], datetime],
    stop: threading.Event | None = None,
) -> T:
    """`write()`, again after 0.5, 1, 2 ... 8 s while the database is unavailable, until waiting
    longer would pass `deadline()` (read afresh each time: a lease that was renewed meanwhile
    counts). Raises GaveUpError then, or at once when `stop` is set."""
    delay = FIRST_DELAY_SECONDS
    while True:
        try:
            return write()
        except DatabaseUnavailableError as exc:
            if clock() + timedelta(seconds=delay) >= deadline():
                log.warning("could not %s until %s: %s", what, f"{deadline():%H:%M:%S}", exc.reason)
                raise GaveUpError(exc) from exc
            log.warning("could not %s (%s); retrying in %.1f s", what, exc.reason, delay)
            if stop is not None and stop.wait(delay):
                raise GaveUpError(exc) from exc
            if stop is None:
                time.sleep(delay)
            delay = min(2 * delay, MAX_DELAY_SECONDS)
