"""What each evaluation cost, as board columns: the backend that ran it, tokens processed, tokens per
second, device-hours and GPU-hours (wall time is `eval_seconds`, since 0004).

Results finished before this revision carry these figures only in their reproducibility record
(`<artifacts>/<id>/reproducibility.json`: `backend`, and `efficiency` since it was written). When
openboard passes its artifacts folder (every `openboard` command does), the columns are filled from
those records; a result without a record, or a record without the figures, keeps them empty.

The reading is written out here rather than imported: a migration must keep meaning what it meant
when it was written, whatever the record's code becomes.

Revision ID: 0021
Revises: 0020
"""

import json
import logging
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

log = logging.getLogger(__name__)
_COLUMNS = ("eval_backend", "eval_tokens", "tokens_per_second", "device_hours", "gpu_hours")
_requests = sa.table(
    "requests",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    *(sa.column(name) for name in _COLUMNS),
)


def upgrade() -> None:
    # Plain ADD COLUMN, not a batch: SQLite's batch mode copies `requests` into a new table, which
    # drops the triggers that keep the model-name trigram index (0012) in step.
    op.add_column("requests", sa.Column("eval_backend", sa.String(16)))
    op.add_column("requests", sa.Column("eval_tokens", sa.BigInteger))
    op.add_column("requests", sa.Column("tokens_per_second", sa.Float))
    op.add_column("requests", sa.Column("device_hours", sa.Float))
    op.add_column("requests", sa.Column("gpu_hours", sa.Float))
    artifacts = context.config.attributes.get("artifacts_dir")
    if artifacts is not None:
        _backfill(Path(artifacts))


def _figures(record: dict[str, Any]) -> dict[str, Any]:
    backend = record.get("backend")
    figures: dict[str, Any] = {"eval_backend": backend if isinstance(backend, str) else None}
    efficiency = record.get("efficiency")
    if isinstance(efficiency, dict):
        tokens = int(efficiency.get("prompt_tokens", 0)) + int(
            efficiency.get("generated_tokens", 0)
        )
        measured = tokens > 0  # vLLM's forward passes are not counted: no figure, not zero
        figures |= {
            "eval_tokens": tokens if measured else None,
            "tokens_per_second": efficiency.get("tokens_per_second") if measured else None,
            "device_hours": efficiency.get("device_hours"),
            "gpu_hours": efficiency.get("gpu_hours"),
        }
    return figures


def _backfill(artifacts: Path) -> None:
    if not artifacts.is_dir():
        return
    conn = op.get_bind()
    finished = {
        int(i)
        for i in conn.execute(
            sa.select(_requests.c.id).where(_requests.c.status == "FINISHED")
        ).scalars()
    }
    updates = []
    for folder in artifacts.iterdir():
        path = folder / "reproducibility.json"
        if not (folder.name.isdigit() and int(folder.name) in finished and path.is_file()):
            continue
        try:
            record = json.loads(path.read_text())
            figures = _figures(record) if isinstance(record, dict) else {}
        except (OSError, ValueError, TypeError) as exc:
            log.warning("%s was not read (%s): its efficiency columns stay empty", path, exc)
            continue
        if any(v is not None for v in figures.values()):
            updates.append({"request_id": int(folder.name), **dict.fromkeys(_COLUMNS), **figures})
    if updates:
        statement = (
            sa.update(_requests)
            .where(_requests.c.id == sa.bindparam("request_id"))
            .values({name: sa.bindparam(name) for name in _COLUMNS})
        )
        conn.execute(statement, updates)
    log.info("efficiency columns filled for %d results from their reproducibility records",
             len(updates))  # fmt: skip


def downgrade() -> None:
    for name in reversed(_COLUMNS):  # plain DROP COLUMN (SQLite 3.35+), for the triggers' sake
        op.drop_column("requests", name)
