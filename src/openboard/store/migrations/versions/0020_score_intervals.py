"""95% confidence intervals of each result's scores (score_intervals), for the board's rank
ranges, the model page's ± and the compare page.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "score_intervals",
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("benchmark", sa.String(64), primary_key=True),
        sa.Column("estimate", sa.Float, nullable=False),
        sa.Column("low", sa.Float),
        sa.Column("high", sa.Float),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("resamples", sa.Integer),
        sa.Column("documents", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text),
    )


def downgrade() -> None:
    op.drop_table("score_intervals")
