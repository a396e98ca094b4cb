"""Failures: the kind of failure and the last lines of the evaluation log.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("failure_kind", sa.String(32)))
        batch.add_column(sa.Column("log_tail", sa.Text))
