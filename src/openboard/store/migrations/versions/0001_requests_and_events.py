"""The queue: evaluation requests and their event log.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

_ACTIVE = sa.column("status").in_(("PENDING", "RUNNING", "FINISHED"))


def upgrade() -> None:
    op.create_table(
        "requests",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(200), nullable=False),
        sa.Column("base_model", sa.String(200)),
        sa.Column("requested_revision", sa.String(255), nullable=False),
        sa.Column("revision", sa.String(64), nullable=False),
        sa.Column("pin", sa.String(16), nullable=False),
        sa.Column("precision", sa.String(16), nullable=False),
        sa.Column("weight_type", sa.String(16), nullable=False),
        sa.Column("model_type", sa.String(32), nullable=False),
        sa.Column("use_chat_template", sa.Boolean, nullable=False),
        sa.Column("params", sa.BigInteger),
        sa.Column("architectures", sa.JSON, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("sender", sa.String(100), nullable=False),
        sa.Column("submitted_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("job_id", sa.String(64)),
        sa.Column("job_start_time", sa.DateTime(timezone=True)),
        sa.Column("finished_time", sa.DateTime(timezone=True)),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("worker", sa.String(200)),
        sa.Column("progress_done", sa.Integer),
        sa.Column("progress_total", sa.Integer),
        sa.Column("failure_reason", sa.Text),
        sa.Column("suite", sa.String(64), nullable=False),
    )
    op.create_index("ix_requests_status_submitted", "requests", ["status", "submitted_time"])
    op.create_index(
        "ux_requests_active_key",
        "requests",
        ["model", "revision", "precision"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
    op.create_table(
        "events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("request_id", sa.Integer, sa.ForeignKey("requests.id", ondelete="CASCADE")),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("from_status", sa.String(16)),
        sa.Column("to_status", sa.String(16)),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_events_request", "events", ["request_id"])
