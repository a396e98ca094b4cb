"""The contamination test's evidence per request and benchmark (contamination_evidence).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contamination_evidence",
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("benchmark", sa.String(100), primary_key=True),
        sa.Column("schema_version", sa.Integer, nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("p_value", sa.Float),
        sa.Column("statistic", sa.Float),
        sa.Column("mean_difference", sa.Float),
        sa.Column("shards", sa.Integer, nullable=False),
        sa.Column("shard_size", sa.Integer, nullable=False),
        sa.Column("permutations", sa.Integer, nullable=False),
        sa.Column("examples", sa.Integer, nullable=False),
        sa.Column("truncated", sa.Integer, nullable=False),
        sa.Column("seed", sa.BigInteger, nullable=False),
        sa.Column("cost_share", sa.Float, nullable=False),
        sa.Column("seconds", sa.Float, nullable=False),
        sa.Column("versions", sa.JSON, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("contamination_evidence")
