"""A request's scores replaced in place (a rescore), and the history of every such change.

A replacement is one transaction: the scores before go to `score_history`, the new ones take their
place, the request records its new scorer and average, and an event moves the board's data version.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update

from openboard.domain import BenchmarkScore, TaskScore
from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._tables import benchmark_scores, requests, score_history, task_results
from openboard.store._time import as_utc


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """One entry of a request's score history; `new_scores` None: a re-run, whose new numbers are
    the next entry's old ones (or the current scores)."""

    request_id: int
    at: datetime
    actor: str
    kind: str  # migration, rescore, rerun
    reason: str
    old_scorer: str | None
    new_scorer: str | None
    old_average: float | None
    new_average: float | None
    old_scores: dict[str, dict[str, float]]
    new_scores: dict[str, dict[str, float]] | None
    details: dict[str, Any] = field(default_factory=dict)
    id: int | None = None


@dataclass(frozen=True, slots=True)
class Rescored:
    """New scores for a finished request, computed from what its evaluation stored."""

    task_scores: list[TaskScore]
    benchmark_scores: list[BenchmarkScore]
    average: float
    scorer: str


class ScoreStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def replace(
        self, request_id: int, rescored: Rescored, *, actor: str, at: datetime, reason: str
    ) -> ScoreChange | None:
        """Put `rescored` in place of the request's scores; None when they are the same numbers
        under the same scorer (nothing is written). Refuses a request that is not FINISHED."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(requests.c.status, requests.c.average, requests.c.scorer)
                .where(requests.c.id == request_id)
                .with_for_update()
            ).first()
            if row is None or row.status != "FINISHED":
                raise LookupError(f"request #{request_id} is not a finished evaluation")
            old = _benchmark_map(conn, request_id)
            new = {
                b.benchmark: {"raw": b.raw, "normalized": b.normalized}
                for b in rescored.benchmark_scores
            }
            old_tasks = [tuple(r) for r in conn.execute(_tasks_query(request_id))]
            if (
                old == new
                and row.scorer == rescored.scorer
                and old_tasks
                == [_task_tuple(t) for t in sorted(rescored.task_scores, key=lambda t: t.task)]
            ):
                return None
            change = ScoreChange(
                request_id=request_id, at=at, actor=actor, kind="rescore", reason=reason,
                old_scorer=row.scorer, new_scorer=rescored.scorer, old_average=row.average,
                new_average=rescored.average, old_scores=old, new_scores=new,
            )  # fmt: skip
            _insert_change(conn, change)
            clear_scores(conn, request_id)
            write_scores(conn, request_id, rescored.task_scores, rescored.benchmark_scores)
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(average=rescored.average, scorer=rescored.scorer)
            )
            add_event(conn, request_id, at, actor, "rescored",
                      f"average {_format(row.average)} → {rescored.average:.2f} "
                      f"({rescored.scorer}): {reason}")  # fmt: skip
        return change

    def history(self, request_id: int) -> list[ScoreChange]:
        query = (
            select(score_history)
            .where(score_history.c.request_id == request_id)
            .order_by(score_history.c.id)
        )
        with self._reader.connect() as conn:
            return [
                ScoreChange(
                    id=r["id"],
                    request_id=r["request_id"],
                    at=as_utc(r["at"]),
                    actor=r["actor"],
                    kind=r["kind"],
                    reason=r["reason"],
                    old_scorer=r["old_scorer"],
                    new_scorer=r["new_scorer"],
                    old_average=r["old_average"],
                    new_average=r["new_average"],
                    old_scores=dict(r["old_scores"]),
                    new_scores=dict(r["new_scores"]) if r["new_scores"] is not None else None,
                    details=dict(r["details"] or {}),
                )
                for r in conn.execute(query).mappings()
            ]


def archive_scores(
    conn: Connection, request_id: int, *, at: datetime, actor: str, kind: str, reason: str,
    details: dict[str, Any],
) -> None:  # fmt: skip
    """Move a request's scores to its history and clear them (a re-run starts from none)."""
    row = conn.execute(
        select(requests.c.average, requests.c.scorer).where(requests.c.id == request_id)
    ).one()
    _insert_change(conn, ScoreChange(
        request_id=request_id, at=at, actor=actor, kind=kind, reason=reason,
        old_scorer=row.scorer, new_scorer=None, old_average=row.average, new_average=None,
        old_scores=_benchmark_map(conn, request_id), new_scores=None, details=details,
    ))  # fmt: skip
    clear_scores(conn, request_id)
    conn.execute(
        update(requests).where(requests.c.id == request_id).values(average=None, scorer=None)
    )


def clear_scores(conn: Connection, request_id: int) -> None:
    conn.execute(delete(task_results).where(task_results.c.request_id == request_id))
    conn.execute(delete(benchmark_scores).where(benchmark_scores.c.request_id == request_id))


def write_scores(
    conn: Connection, request_id: int, tasks: list[TaskScore], benchmarks: list[BenchmarkScore]
) -> None:
    if tasks:
        conn.execute(insert(task_results), [task_row(request_id, s) for s in tasks])
    if benchmarks:
        conn.execute(
            insert(benchmark_scores),
            [
                {"request_id": request_id, "benchmark": b.benchmark, "raw": b.raw,
                 "normalized": b.normalized}
                for b in benchmarks
            ],
        )  # fmt: skip


def task_row(request_id: int, score: TaskScore) -> dict[str, Any]:
    return {
        "request_id": request_id,
        "benchmark": score.benchmark,
        "task": score.task,
        "metric": score.metric,
        "raw": score.raw,
        "stderr": score.stderr,
        "num_choices": score.num_choices,
        "normalized": score.normalized,
        "samples": score.samples,
        "metrics": dict(score.extra) or None,
    }


def _tasks_query(request_id: int) -> Any:
    c = task_results.c
    return (
        select(c.task, c.metric, c.raw, c.stderr, c.num_choices, c.normalized, c.samples, c.metrics)
        .where(c.request_id == request_id)
        .order_by(c.task)
    )


def _task_tuple(t: TaskScore) -> tuple[Any, ...]:
    return (t.task, t.metric, t.raw, t.stderr, t.num_choices, t.normalized, t.samples,
            dict(t.extra) or None)  # fmt: skip


def _benchmark_map(conn: Connection, request_id: int) -> dict[str, dict[str, float]]:
    query = select(benchmark_scores).where(benchmark_scores.c.request_id == request_id)
    return {
        r["benchmark"]: {"raw": r["raw"], "normalized": r["normalized"]}
        for r in conn.execute(query).mappings()
    }


def _insert_change(conn: Connection, change: ScoreChange) -> None:
    conn.execute(
        insert(score_history).values(
            request_id=change.request_id, at=change.at, actor=change.actor, kind=change.kind,
            reason=change.reason, old_scorer=change.old_scorer, new_scorer=change.new_scorer,
            old_average=change.old_average, new_average=change.new_average,
            old_scores=change.old_scores, new_scores=change.new_scores, details=change.details,
        )
    )  # fmt: skip


def _format(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f}"
