"""A result's confidence intervals: replaced whole, in one transaction with an event (which moves
the board's data version, so that the board's rank ranges follow)."""

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import Connection, Engine, delete, insert, select

from openboard.domain import IntervalMethod, ScoreInterval, Status
from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._tables import requests, score_intervals

__all__ = ["IntervalStore", "interval_row", "write_intervals"]


class IntervalStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def replace(
        self, request_id: int, intervals: Sequence[ScoreInterval], *, actor: str, at: datetime
    ) -> None:
        """The request's intervals become `intervals`; refuses a request that is not FINISHED."""
        with self._engine.begin() as conn:
            status = conn.execute(
                select(requests.c.status).where(requests.c.id == request_id).with_for_update()
            ).scalar_one_or_none()
            if status != Status.FINISHED.value:
                raise LookupError(f"request #{request_id} is not a finished evaluation")
            write_intervals(conn, request_id, intervals)
            method = intervals[0].method if intervals else "none"
            add_event(conn, request_id, at, actor, "intervals",
                      f"95% confidence intervals ({method}) recorded")  # fmt: skip

    def of(self, request_id: int) -> list[ScoreInterval]:
        """The request's intervals (benchmarks by name, the average among them)."""
        return self.of_many([request_id]).get(request_id, [])

    def of_many(self, request_ids: Iterable[int]) -> dict[int, list[ScoreInterval]]:
        ids = sorted(set(request_ids))
        found: dict[int, list[ScoreInterval]] = {}
        if not ids:
            return found
        query = (
            select(score_intervals)
            .where(score_intervals.c.request_id.in_(ids))
            .order_by(score_intervals.c.request_id, score_intervals.c.benchmark)
        )
        with self._reader.connect() as conn:
            for row in conn.execute(query).mappings():
                found.setdefault(int(row["request_id"]), []).append(_interval(row))
        return found

    def missing(self, request_ids: Iterable[int]) -> list[int]:
        """Those of `request_ids` with no intervals recorded."""
        ids = sorted(set(request_ids))
        with self._reader.connect() as conn:
            have = set(conn.execute(select(score_intervals.c.request_id).distinct()).scalars())
        return [i for i in ids if i not in have]


def write_intervals(conn: Connection, request_id: int, intervals: Sequence[ScoreInterval]) -> None:
    """The request's intervals rows become `intervals` (inside the caller's transaction)."""
    conn.execute(delete(score_intervals).where(score_intervals.c.request_id == request_id))
    if intervals:
        conn.execute(insert(score_intervals), [interval_row(request_id, i) for i in intervals])


def interval_row(request_id: int, i: ScoreInterval) -> dict[str, object]:
    return {
        "request_id": request_id, "benchmark": i.benchmark, "estimate": i.estimate, "low": i.low,
        "high": i.high, "method": i.method.value, "resamples": i.resamples,
        "documents": i.documents, "reason": i.reason,
    }  # fmt: skip


def _interval(row: object) -> ScoreInterval:
    r = dict(row)  # type: ignore[call-overload]
    return ScoreInterval(
        benchmark=r["benchmark"], estimate=float(r["estimate"]), low=r["low"], high=r["high"],
        method=IntervalMethod(r["method"]), resamples=r["resamples"], documents=int(r["documents"]),
        reason=r["reason"],
    )  # fmt: skip
