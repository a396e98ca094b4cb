"""When a failed delivery is tried again: exponential backoff, capped, and no later retry once
the attempts are spent."""

from datetime import datetime, timedelta

MAX_DELAY_SECONDS = 6 * 3600.0


def retry_delay(attempts_made: int, base_seconds: float) -> float:
    """Seconds to wait after the `attempts_made`-th failed attempt: base, 2 base, 4 base, ..."""
    return min(base_seconds * 2.0 ** (attempts_made - 1), MAX_DELAY_SECONDS)


def next_attempt(
    attempts_made: int, max_attempts: int, base_seconds: float, now: datetime
) -> datetime | None:
    """When to try again after a failed attempt; None: given up."""
    if attempts_made >= max_attempts:
        return None
    return now + timedelta(seconds=retry_delay(attempts_made, base_seconds))
