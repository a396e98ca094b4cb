"""Admission rules: the namespace a request counts against, the model's traits, and the blocklist.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("namespace", sa.String(100)))
        batch.add_column(sa.Column("license", sa.String(200)))
        batch.add_column(sa.Column("merged", sa.Boolean, nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("moe", sa.Boolean, nullable=False, server_default=sa.false()))
    requests = sa.table(
        "requests", sa.column("model", sa.String), sa.column("namespace", sa.String)
    )
    connection = op.get_bind()
    rows = connection.execute(sa.select(requests.c.model)).all()
    for (model,) in rows:
        connection.execute(
            requests.update()
            .where(requests.c.model == model)
            .values(namespace=model.split("/", 1)[0])
        )
    with op.batch_alter_table("requests") as batch:
        batch.alter_column("namespace", existing_type=sa.String(100), nullable=False)
    op.create_index("ix_requests_namespace_submitted", "requests", ["namespace", "submitted_time"])
    op.create_table(
        "blocklist",
        sa.Column("pattern", sa.String(200), primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("added_by", sa.String(200), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
