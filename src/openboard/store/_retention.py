"""What retention must keep: the commits that queued or running requests will read, and since when
each result has been hidden or deleted (from the audit log, which records every such action)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine, func, select

from openboard.domain import Status
from openboard.store._engine import reader_of
from openboard.store._tables import audit_log, requests
from openboard.store._time import as_utc

__all__ = ["RetentionFacts", "retention_facts"]

_TARGET = "request "


@dataclass(frozen=True, slots=True)
class RetentionFacts:
    active_commits: frozenset[tuple[str, str]]  # (model, sha) of PENDING/RUNNING requests and bases
    request_ids: frozenset[int]  # every request that still exists
    hidden_since: dict[int, datetime]  # hidden results: when they were last hidden
    deleted_at: dict[int, datetime]  # requests deleted by a moderator


def retention_facts(engine: Engine) -> RetentionFacts:
    c = requests.c
    active = (Status.PENDING.value, Status.RUNNING.value)
    with reader_of(engine).connect() as conn:
        commits: set[tuple[str, str]] = set()
        for model, sha, base, base_sha in conn.execute(
            select(c.model, c.revision, c.base_model, c.base_revision).where(c.status.in_(active))
        ):
            commits.add((model, sha))
            if base and base_sha:
                commits.add((base, base_sha))
        ids = frozenset(int(i) for i in conn.execute(select(c.id)).scalars())
        hidden = {int(i) for i in conn.execute(select(c.id).where(c.hidden.is_(True))).scalars()}
        last = {
            (action, target): at
            for action, target, at in conn.execute(
                select(audit_log.c.action, audit_log.c.target, func.max(audit_log.c.at))
                .where(audit_log.c.action.in_(("result.hide", "result.delete")))
                .group_by(audit_log.c.action, audit_log.c.target)
            )
        }
    hidden_since, deleted_at = {}, {}
    for (action, target), at in last.items():
        if not target.startswith(_TARGET) or not target[len(_TARGET) :].isdigit():
            continue
        request_id, when = int(target[len(_TARGET) :]), as_utc(_time(at))
        if action == "result.hide" and request_id in hidden:
            hidden_since[request_id] = when
        elif action == "result.delete" and request_id not in ids:
            deleted_at[request_id] = when
    return RetentionFacts(frozenset(commits), ids, hidden_since, deleted_at)


def _time(value: object) -> datetime:
    # SQLite answers an aggregate over a DateTime column with its stored text.
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    assert isinstance(parsed, datetime)
    return parsed
