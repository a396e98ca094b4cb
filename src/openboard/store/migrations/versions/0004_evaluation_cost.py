"""Cost of an evaluation: wall time and the CO2 estimate.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(sa.Column("eval_seconds", sa.Float))
        batch.add_column(sa.Column("co2_kg", sa.Float))
