"""The contamination test's evidence, per request and benchmark: written once the request's
result is recorded, read by the model page."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, Select, delete, insert, select

from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._tables import contamination_evidence

__all__ = ["ContaminationEvidence", "ContaminationStore", "p_values_query", "smallest_p_values"]


@dataclass(frozen=True, slots=True)
class ContaminationEvidence:
    request_id: int
    benchmark: str
    schema_version: int
    method: str
    p_value: float | None  # None: not tested (`note` says why)
    statistic: float | None
    mean_difference: float | None
    shards: int
    shard_size: int
    permutations: int
    examples: int
    truncated: int
    seed: int
    cost_share: float
    seconds: float
    versions: dict[str, str]
    note: str | None
    recorded_at: datetime


_COLUMNS = [f.name for f in fields(ContaminationEvidence)]


class ContaminationStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def record(
        self, request_id: int, rows: list[ContaminationEvidence], actor: str, at: datetime
    ) -> None:
        """Replace the request's evidence with `rows` (a re-run's test supersedes the last).
        An event says so: the board's p-value column follows it (its data version moves)."""
        t = contamination_evidence
        with self._engine.begin() as conn:
            conn.execute(delete(t).where(t.c.request_id == request_id))
            add_event(conn, request_id, at, actor, "contamination",
                      f"contamination evidence recorded ({len(rows)} benchmark(s))")  # fmt: skip
            if rows:
                values: list[dict[str, Any]] = [
                    {name: getattr(row, name) for name in _COLUMNS} | {"request_id": request_id}
                    for row in rows
                ]
                conn.execute(insert(t), values)

    def for_requests(self, request_ids: list[int]) -> dict[int, list[ContaminationEvidence]]:
        t = contamination_evidence
        found: dict[int, list[ContaminationEvidence]] = {i: [] for i in request_ids}
        if not request_ids:
            return found
        query = (
            select(*[t.c[name] for name in _COLUMNS])
            .where(t.c.request_id.in_(request_ids))
            .order_by(t.c.request_id, t.c.benchmark)
        )
        with self._reader.connect() as conn:
            for row in conn.execute(query).mappings():
                evidence = ContaminationEvidence(**dict(row))
                found[evidence.request_id].append(evidence)
        return found


def p_values_query() -> Select[Any]:
    """(request id, benchmark, p-value) of every test that gave one, by request, p, benchmark."""
    t = contamination_evidence
    return (
        select(t.c.request_id, t.c.benchmark, t.c.p_value)
        .where(t.c.p_value.is_not(None))
        .order_by(t.c.request_id, t.c.p_value, t.c.benchmark)
    )


def smallest_p_values(conn: Connection, request_ids: list[int]) -> dict[int, tuple[str, float]]:
    """Each tested request's smallest p-value and the benchmark it is on (the board's column
    and the exports); a request with no p-value (never tested, not enough examples) is absent.
    A tie goes to the benchmark first by name, so that a page always names the same one."""
    found: dict[int, tuple[str, float]] = {}
    if not request_ids:
        return found
    query = p_values_query().where(contamination_evidence.c.request_id.in_(request_ids))
    for request_id, benchmark, p_value in conn.execute(query):
        found.setdefault(int(request_id), (str(benchmark), float(p_value)))
    return found
