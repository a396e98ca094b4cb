"""Whether evaluated commits can still be read from their source, as last checked.

A change (gone, or back) is written as an event on each request it concerns, so that the board's
data version moves and cached pages are rendered again.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, or_, select, update

from openboard.domain import Origin, Status
from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._tables import requests


@dataclass(frozen=True, slots=True)
class Commit:
    model: str
    revision: str


class AvailabilityStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def evaluated_commits(self, model: str | None = None) -> list[Commit]:
        """Each (model, commit) with a finished evaluation, in model order."""
        r = requests.c
        query = (
            select(r.model, r.revision)
            # An archive row's availability is the public table's ("Available on the hub"),
            # refreshed by importing it again: the local source never held its commit.
            .where(r.status == Status.FINISHED.value, r.origin == Origin.LOCAL.value)
            .group_by(r.model, r.revision)
            .order_by(r.model, r.revision)
        )
        if model is not None:
            query = query.where(r.model == model)
        with self._reader.connect() as conn:
            return [Commit(row.model, row.revision) for row in conn.execute(query)]

    def record(
        self, commit: Commit, available: bool, reason: str | None, at: datetime, actor: str
    ) -> list[int]:
        """Store a check's outcome; the ids of the finished requests whose availability changed."""
        r = requests.c
        of_commit = (r.model == commit.model, r.revision == commit.revision,
                     r.status == Status.FINISHED.value)  # fmt: skip
        with self._engine.begin() as conn:
            changed = list(
                conn.execute(
                    select(r.id).where(
                        *of_commit, or_(r.available.is_(None), r.available != available)
                    )
                ).scalars()
            )
            conn.execute(
                update(requests)
                .where(*of_commit)
                .values(
                    available=available,
                    unavailable_reason=None if available else reason,
                    availability_checked_at=at,
                )
            )
            message = "available from its source" if available else f"unavailable: {reason}"
            for request_id in changed:
                add_event(conn, request_id, at, actor, "availability", message)
        return changed
