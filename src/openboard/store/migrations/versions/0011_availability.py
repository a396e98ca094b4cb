"""Whether each evaluated commit can still be read from its source (the public site's "available
on the hub"): NULL until `openboard availability` first checks it.

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("available", sa.Boolean))
        batch.add_column(sa.Column("unavailable_reason", sa.Text))
        batch.add_column(sa.Column("availability_checked_at", sa.DateTime(timezone=True)))


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("availability_checked_at")
        batch.drop_column("unavailable_reason")
        batch.drop_column("available")
