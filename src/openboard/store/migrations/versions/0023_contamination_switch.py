"""An admin's per-request switch for the contamination test (requests.contamination_check).

NULL: the suite's setting decides (`contamination_suites`); true or false: an admin turned the
test on or off for this request.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: SQLite's batch mode copies `requests` into a new table, which
    # drops the triggers that keep the model-name trigram index (0012) in step.
    op.add_column("requests", sa.Column("contamination_check", sa.Boolean))


def downgrade() -> None:
    op.drop_column("requests", "contamination_check")
