"""The contamination test's evidence, per request and benchmark: written once the request's
result is recorded, read by the model page."""

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select

from openboard.store._engine import reader_of
from openboard.store._tables import contamination_evidence

__all__ = ["ContaminationEvidence", "ContaminationStore"]


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

    def record(self, request_id: int, rows: list[ContaminationEvidence]) -> None:
        """Replace the request's evidence with `rows` (a re-run's test supersedes the last)."""
        t = contamination_evidence
        with self._engine.begin() as conn:
            conn.execute(delete(t).where(t.c.request_id == request_id))
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
