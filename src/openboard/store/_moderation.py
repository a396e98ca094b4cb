"""Moderators' actions on models and results; each one writes its audit record in its own
transaction, so an action and its record stand or fall together."""

from datetime import datetime
from typing import Any

from sqlalchemy import Engine, delete, insert, select, update

from openboard.domain import ModelType
from openboard.store._audit import entries, record
from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._records import AuditEntry, BlocklistEntry, Flag
from openboard.store._tables import blocklist, flags, official_providers, requests
from openboard.store._time import as_utc
from openboard.store._webhooks import FLAGGED, add_outbox


def flag_of(row: Any) -> Flag:
    return Flag(
        model=row["model"], reason=row["reason"], link=row["link"],
        flagged_by=row["flagged_by"], flagged_at=as_utc(row["flagged_at"]),
    )  # fmt: skip


class ModerationStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def flag(self, model: str, reason: str, link: str | None, actor: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(flags).where(flags.c.model == model))
            conn.execute(
                insert(flags).values(
                    model=model, reason=reason, link=link, flagged_by=actor, flagged_at=at
                )
            )
            record(conn, AuditEntry(actor, "model.flag", f"model {model}", reason, at,
                                    {"link": link}))  # fmt: skip
            add_outbox(conn, FLAGGED, at, reason, model=model)

    def unflag(self, model: str, actor: str, at: datetime, reason: str) -> bool:
        with self._engine.begin() as conn:
            removed = conn.execute(delete(flags).where(flags.c.model == model)).rowcount
            if removed:
                record(conn, AuditEntry(actor, "model.unflag", f"model {model}", reason, at))
        return bool(removed)

    def flags(self) -> list[Flag]:
        with self._reader.connect() as conn:
            return [
                flag_of(r) for r in conn.execute(select(flags).order_by(flags.c.model)).mappings()
            ]

    def flags_of(self, models: list[str]) -> dict[str, Flag]:
        if not models:
            return {}
        query = select(flags).where(flags.c.model.in_(models))
        with self._reader.connect() as conn:
            return {r["model"]: flag_of(r) for r in conn.execute(query).mappings()}

    def set_hidden(
        self, request_id: int, hidden: bool, actor: str, at: datetime, reason: str
    ) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(requests).where(requests.c.id == request_id).values(hidden=hidden)
            ).rowcount
            if changed:
                action = "result.hide" if hidden else "result.unhide"
                record(conn, AuditEntry(actor, action, f"request {request_id}", reason, at))
        return bool(changed)

    def delete_request(self, request_id: int, actor: str, at: datetime, reason: str) -> bool:
        """Remove a request with its scores; the audit record keeps what it was."""
        with self._engine.begin() as conn:
            row = conn.execute(
                select(requests.c.model, requests.c.revision, requests.c.precision,
                       requests.c.status, requests.c.average, requests.c.sender)
                .where(requests.c.id == request_id)
            ).mappings().first()  # fmt: skip
            if row is None:
                return False
            conn.execute(delete(requests).where(requests.c.id == request_id))
            record(conn, AuditEntry(actor, "result.delete", f"request {request_id}", reason, at,
                                    dict(row)))  # fmt: skip
        return True

    def set_model_type(
        self, request_id: int, model_type: ModelType, actor: str, at: datetime, reason: str
    ) -> bool:
        with self._engine.begin() as conn:
            before = conn.execute(
                select(requests.c.model_type).where(requests.c.id == request_id)
            ).scalar_one_or_none()
            if before is None:
                return False
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(model_type=model_type.value)
            )
            record(conn, AuditEntry(actor, "request.model_type", f"request {request_id}", reason,
                                    at, {"from": before, "to": model_type.value}))  # fmt: skip
        return True

    def add_official(self, namespace: str, actor: str, at: datetime, reason: str) -> bool:
        with self._engine.begin() as conn:
            exists = conn.execute(
                select(official_providers.c.namespace).where(
                    official_providers.c.namespace == namespace
                )
            ).first()
            if exists:
                return False
            conn.execute(
                insert(official_providers).values(namespace=namespace, added_by=actor, added_at=at)
            )
            record(conn, AuditEntry(actor, "official.add", f"namespace {namespace}", reason, at))
        return True

    def remove_official(self, namespace: str, actor: str, at: datetime, reason: str) -> bool:
        with self._engine.begin() as conn:
            removed = conn.execute(
                delete(official_providers).where(official_providers.c.namespace == namespace)
            ).rowcount
            if removed:
                record(conn, AuditEntry(actor, "official.remove", f"namespace {namespace}",
                                        reason, at))  # fmt: skip
        return bool(removed)

    def official_namespaces(self) -> frozenset[str]:
        with self._reader.connect() as conn:
            return frozenset(
                str(r[0]) for r in conn.execute(select(official_providers.c.namespace))
            )

    def audit_log(
        self, offset: int = 0, limit: int = 100, target: str | None = None
    ) -> list[AuditEntry]:
        with self._reader.connect() as conn:
            return entries(conn, offset, limit, target)

    def block(self, pattern: str, reason: str, actor: str, at: datetime) -> BlocklistEntry:
        """Add or update a blocklist entry; `pattern` is checked by the caller (`org/name` or `org/*`)."""
        with self._engine.begin() as conn:
            conn.execute(delete(blocklist).where(blocklist.c.pattern == pattern))
            conn.execute(
                insert(blocklist).values(
                    pattern=pattern, reason=reason, added_by=actor, added_at=at
                )
            )
            add_event(conn, None, at, actor, "blocked", f"{pattern}: {reason}")
            record(conn, AuditEntry(actor, "blocklist.add", f"pattern {pattern}", reason, at))
        return BlocklistEntry(pattern=pattern, reason=reason, added_by=actor, added_at=at)

    def unblock(self, pattern: str, actor: str, at: datetime, reason: str = "") -> bool:
        with self._engine.begin() as conn:
            removed = conn.execute(delete(blocklist).where(blocklist.c.pattern == pattern)).rowcount
            if removed:
                add_event(conn, None, at, actor, "unblocked", pattern)
                record(conn, AuditEntry(actor, "blocklist.remove", f"pattern {pattern}", reason,
                                        at))  # fmt: skip
        return bool(removed)

    def blocklist(self) -> list[BlocklistEntry]:
        with self._reader.connect() as conn:
            rows = conn.execute(select(blocklist).order_by(blocklist.c.pattern)).mappings()
            return [
                BlocklistEntry(
                    pattern=row["pattern"],
                    reason=row["reason"],
                    added_by=row["added_by"],
                    added_at=as_utc(row["added_at"]),
                )
                for row in rows
            ]
