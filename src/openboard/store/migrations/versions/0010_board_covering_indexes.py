"""Indexes measured with bench/web_load.py at 100,000 results: one that covers the board's filter,
count, default order and name search; the model page's lookup; benchmark-score sorts.

Revision ID: 0010
Revises: 0009
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_requests_board", "requests", ["status", "suite", "hidden", "average", "id", "model"]
    )
    op.create_index("ix_requests_model_submitted", "requests", ["model", "submitted_time"])
    op.create_index(
        "ix_benchmark_scores_board", "benchmark_scores", ["benchmark", "normalized", "request_id"]
    )
