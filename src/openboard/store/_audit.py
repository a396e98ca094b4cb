"""The append-only audit log: written inside the transaction of the action it records."""

from typing import Any

from sqlalchemy import Connection, insert, select

from openboard.store._records import AuditEntry
from openboard.store._tables import audit_log
from openboard.store._time import as_utc


def record(conn: Connection, entry: AuditEntry) -> None:
    conn.execute(
        insert(audit_log).values(
            at=entry.at, actor=entry.actor, action=entry.action, target=entry.target,
            reason=entry.reason, details=entry.details,
        )
    )  # fmt: skip


def entries(conn: Connection, offset: int, limit: int, target: str | None) -> list[AuditEntry]:
    query = select(audit_log).order_by(audit_log.c.id.desc()).offset(offset).limit(limit)
    if target is not None:
        query = query.where(audit_log.c.target == target)
    return [_entry(row) for row in conn.execute(query).mappings()]


def _entry(row: Any) -> AuditEntry:
    return AuditEntry(
        id=row["id"], at=as_utc(row["at"]), actor=row["actor"], action=row["action"],
        target=row["target"], reason=row["reason"], details=dict(row["details"] or {}),
    )  # fmt: skip
