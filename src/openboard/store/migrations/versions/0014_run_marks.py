"""What a finished evaluation ran on, shown as marks next to its scores: the per-task sample limit
(NULL: the whole benchmark) and whether its benchmark data differed from the published checksums.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: SQLite's batch mode copies `requests` into a new table, which
    # drops the triggers that keep the model-name trigram index (0012) in step.
    op.add_column("requests", sa.Column("eval_limit", sa.Integer))
    op.add_column(
        "requests",
        sa.Column("data_modified", sa.Boolean, nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("data_modified")
        batch.drop_column("eval_limit")
