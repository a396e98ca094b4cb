"""GPQA and MATH Lvl 5 aggregated as the public site did, and a history of every score change.

The public site's normalization notebook takes lm-eval's group values for GPQA (`leaderboard_gpqa`
acc_norm) and MATH Lvl 5 (`leaderboard_math_hard` exact_match): means weighted by the number of
documents each subset evaluated (`weight_by_size: true`), normalized once. Up to v2 suite version 1
openboard normalized each subset and took the plain mean. This migration re-aggregates every stored
v2 result from its stored per-task raw values, sample counts and choices, without running anything,
keeps the numbers it replaces in `score_history`, and records which scorer each result now carries.

The rule is written out here rather than imported: a migration must keep meaning what it meant
when it was written, whatever the scoring code becomes.

Revision ID: 0013
Revises: 0012
"""

from collections import defaultdict
from datetime import UTC, datetime
from statistics import fmean
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ACTOR = "migration 0013"
REASON = (
    "GPQA and MATH Lvl 5: lm-eval's size-weighted group value, normalized once (as the public site)"
)
_WEIGHTED = ("gpqa", "math")
# The scorers the built-in suites had when this migration was written.
_OLD_SCORERS = {"v2": "v2/1", "v1": "v1/1", "starter": "starter/2"}
_NEW_V2 = "v2/2"

_requests = sa.table(
    "requests",
    sa.column("id", sa.Integer),
    sa.column("suite", sa.String),
    sa.column("average", sa.Float),
    sa.column("scorer", sa.String),
)
_tasks = sa.table(
    "task_results",
    sa.column("request_id", sa.Integer),
    sa.column("benchmark", sa.String),
    sa.column("raw", sa.Float),
    sa.column("num_choices", sa.Integer),
    sa.column("samples", sa.Integer),
)
_benchmarks = sa.table(
    "benchmark_scores",
    sa.column("request_id", sa.Integer),
    sa.column("benchmark", sa.String),
    sa.column("raw", sa.Float),
    sa.column("normalized", sa.Float),
)
_events = sa.table(
    "events",
    sa.column("request_id", sa.Integer),
    sa.column("at", sa.DateTime(timezone=True)),
    sa.column("actor", sa.String),
    sa.column("kind", sa.String),
    sa.column("message", sa.Text),
)


def _normalize(raw: float, choices: int | None) -> float:
    baseline = 1.0 / choices if choices else 0.0
    return 0.0 if raw < baseline else (raw - baseline) / (1.0 - baseline) * 100.0


def _create_history() -> sa.Table:
    return op.create_table(
        "score_history",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("old_scorer", sa.String(64)),
        sa.Column("new_scorer", sa.String(64)),
        sa.Column("old_average", sa.Float),
        sa.Column("new_average", sa.Float),
        sa.Column("old_scores", sa.JSON, nullable=False),
        sa.Column("new_scores", sa.JSON),
        sa.Column("details", sa.JSON, nullable=False),
    )


def upgrade() -> None:
    # Plain ADD COLUMN (no table rebuild): the requests table carries 0012's search triggers.
    op.add_column("requests", sa.Column("scorer", sa.String(64)))
    op.add_column("task_results", sa.Column("metrics", sa.JSON))
    history = _create_history()
    op.create_index("ix_score_history_request", "score_history", ["request_id", "id"])
    conn = op.get_bind()
    for suite, scorer in _OLD_SCORERS.items():
        conn.execute(
            sa.update(_requests)
            .where(_requests.c.suite == suite, _requests.c.average.is_not(None))
            .values(scorer=scorer)
        )
    now = datetime.now(UTC)
    for request_id, average in conn.execute(
        sa.select(_requests.c.id, _requests.c.average).where(
            _requests.c.suite == "v2", _requests.c.average.is_not(None)
        )
    ).all():
        _reaggregate(conn, history, int(request_id), average, now)


def _reaggregate(
    conn: sa.Connection, history: sa.Table, request_id: int, average: float, now: datetime
) -> None:
    tasks: dict[str, list[Any]] = defaultdict(list)
    for row in conn.execute(
        sa.select(_tasks).where(
            _tasks.c.request_id == request_id, _tasks.c.benchmark.in_(_WEIGHTED)
        )
    ):
        tasks[row.benchmark].append(row)
    old = {
        row.benchmark: {"raw": row.raw, "normalized": row.normalized}
        for row in conn.execute(
            sa.select(_benchmarks).where(_benchmarks.c.request_id == request_id)
        )
    }
    if any(sum(t.samples for t in tasks[b]) <= 0 for b in _WEIGHTED):
        return  # no sample counts to weight by: left as scored, and its scorer says v2/1
    new = dict(old)
    for benchmark in _WEIGHTED:
        rows = tasks[benchmark]
        raw = sum(t.raw * t.samples for t in rows) / sum(t.samples for t in rows)
        new[benchmark] = {"raw": raw, "normalized": _normalize(raw, rows[0].num_choices)}
        conn.execute(
            sa.update(_benchmarks)
            .where(_benchmarks.c.request_id == request_id, _benchmarks.c.benchmark == benchmark)
            .values(**new[benchmark])
        )
    new_average = fmean(s["normalized"] for s in new.values())
    conn.execute(
        sa.update(_requests)
        .where(_requests.c.id == request_id)
        .values(average=new_average, scorer=_NEW_V2)
    )
    conn.execute(
        sa.insert(history).values(
            request_id=request_id, at=now, actor=ACTOR, kind="migration", reason=REASON,
            old_scorer=_OLD_SCORERS["v2"], new_scorer=_NEW_V2, old_average=average,
            new_average=new_average, old_scores=old, new_scores=new, details={},
        )
    )  # fmt: skip
    conn.execute(
        sa.insert(_events).values(
            request_id=request_id, at=now, actor=ACTOR, kind="rescored",
            message=f"average {average:.2f} → {new_average:.2f}: {REASON}",
        )
    )  # fmt: skip


def downgrade() -> None:
    """Puts back the numbers this migration replaced (later rescores are undone with it)."""
    conn = op.get_bind()
    history = sa.table(
        "score_history",
        sa.column("request_id", sa.Integer),
        sa.column("actor", sa.String),
        sa.column("old_average", sa.Float),
        sa.column("old_scores", sa.JSON),
    )
    for row in conn.execute(sa.select(history).where(history.c.actor == ACTOR)).all():
        for benchmark in _WEIGHTED:
            conn.execute(
                sa.update(_benchmarks)
                .where(
                    _benchmarks.c.request_id == row.request_id,
                    _benchmarks.c.benchmark == benchmark,
                )
                .values(**row.old_scores[benchmark])
            )
        conn.execute(
            sa.update(_requests)
            .where(_requests.c.id == row.request_id)
            .values(average=row.old_average)
        )
    op.drop_index("ix_score_history_request", "score_history")
    op.drop_table("score_history")
    # ALTER TABLE ... DROP COLUMN in place (SQLite 3.35+): a rebuild would drop 0012's triggers.
    op.execute("ALTER TABLE task_results DROP COLUMN metrics")
    op.execute("ALTER TABLE requests DROP COLUMN scorer")
