"""Results imported from the public Open LLM Leaderboard's archive: `requests.origin` tells them
from local evaluations (they never count as duplicates or against rate limits), and
`archive_results` records every archive file read, with its checksum (re-imports skip it) and the
scores it gave (the history of a model's runs).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

_ACTIVE = sa.column("status").in_(("PENDING", "RUNNING", "FINISHED"))
_LOCAL_ACTIVE = sa.and_(_ACTIVE, sa.column("origin") == "local")


def _active_key(where: sa.ColumnElement[bool]) -> None:
    op.create_index(
        "ux_requests_active_key", "requests", ["model", "revision", "precision"], unique=True,
        sqlite_where=where, postgresql_where=where,
    )  # fmt: skip


def upgrade() -> None:
    op.add_column(
        "requests", sa.Column("origin", sa.String(16), nullable=False, server_default="local")
    )
    op.drop_index("ux_requests_active_key", table_name="requests")
    _active_key(_LOCAL_ACTIVE)
    op.create_index("ix_requests_origin_model", "requests", ["origin", "model"])
    op.create_table(
        "archive_results",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "request_id",
            sa.Integer,
            sa.ForeignKey("requests.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("run_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("dataset_commit", sa.String(64)),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("average", sa.Float, nullable=False),
        sa.Column("scores", sa.JSON, nullable=False),
        sa.Column("contents", sa.JSON),
        sa.UniqueConstraint("source", "path", name="uq_archive_results_source_path"),
    )
    op.create_index("ix_archive_results_request", "archive_results", ["request_id", "run_at"])


def downgrade() -> None:
    op.drop_table("archive_results")
    op.drop_index("ix_requests_origin_model", table_name="requests")
    op.drop_index("ux_requests_active_key", table_name="requests")
    _active_key(_ACTIVE)
    op.drop_column("requests", "origin")
