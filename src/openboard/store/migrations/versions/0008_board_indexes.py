"""Indexes for the leaderboard's sort orders, so a page costs index lookups at 100,000 rows.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_requests_status_average", "requests", ["status", "average"])
    op.create_index("ix_requests_status_params", "requests", ["status", "params"])
    op.create_index("ix_requests_status_model", "requests", ["status", "model"])
    op.create_index(
        "ix_benchmark_scores_benchmark_normalized", "benchmark_scores", ["benchmark", "normalized"]
    )
