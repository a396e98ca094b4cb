"""The attempt budget apart from the fencing token, and the attempt on each history event.

`requests.attempts` counts every claim and never goes down: it is the token that fences a worker
whose attempt was superseded. `uncounted_attempts` holds the claims that do not count against
`max_attempts`: handed back at a worker's shutdown, or spent before an admin's requeue (a fresh
budget). Before this, a requeue kept the count ("attempt 4 of 3") and a hand-back lowered the
token, so a later claim could share a stopped worker's token.

Revision ID: 0016
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("requests") as batch:
        batch.add_column(
            sa.Column("uncounted_attempts", sa.Integer, nullable=False, server_default="0")
        )
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("attempt", sa.Integer))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("attempt")
    with op.batch_alter_table("requests") as batch:
        batch.drop_column("uncounted_attempts")
