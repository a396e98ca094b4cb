"""Times read back from the database."""

from datetime import UTC, datetime


def as_utc(value: datetime) -> datetime:
    """SQLite hands back naive datetimes; every time openboard stores is UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
