"""Results: per-task raw and normalized scores, per-benchmark scores, and the request's average.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "task_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("benchmark", sa.String(64), nullable=False),
        sa.Column("task", sa.String(128), nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("raw", sa.Float, nullable=False),
        sa.Column("stderr", sa.Float),
        sa.Column("num_choices", sa.Integer),
        sa.Column("normalized", sa.Float, nullable=False),
        sa.Column("samples", sa.Integer, nullable=False),
        sa.UniqueConstraint("request_id", "task", name="uq_task_results_request_task"),
    )
    op.create_table(
        "benchmark_scores",
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("benchmark", sa.String(64), primary_key=True),
        sa.Column("raw", sa.Float, nullable=False),
        sa.Column("normalized", sa.Float, nullable=False),
    )
    # The average is stored so the leaderboard sorts in the database, not in Python.
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("average", sa.Float))
