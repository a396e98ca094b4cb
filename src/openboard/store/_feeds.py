"""The newest results, for the Atom feeds: finished, not hidden, newest first."""

from sqlalchemy import Engine, select

from openboard.domain import Status
from openboard.store._records import EvalRequest
from openboard.store._rows import request_of
from openboard.store._tables import requests

__all__ = ["recent_results"]


def recent_results(
    reader: Engine, limit: int, model: str | None = None, sender: str | None = None
) -> list[EvalRequest]:
    c = requests.c
    query = select(requests).where(c.status == Status.FINISHED.value, c.hidden.is_(False))
    if model is not None:
        query = query.where(c.model == model)
    if sender is not None:
        query = query.where(c.sender == sender)
    query = query.order_by(c.finished_time.desc(), c.id.desc()).limit(limit)
    with reader.connect() as conn:
        return [request_of(row) for row in conn.execute(query).mappings()]
