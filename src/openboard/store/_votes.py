"""Votes for pending requests: one per user per request, checked with the request's state, the
voter and the hourly limit in the inserting transaction, so two clicks cannot vote twice."""

from datetime import datetime, timedelta

from sqlalchemy import Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from openboard.domain import Status
from openboard.store._engine import reader_of
from openboard.store._errors import StoreError
from openboard.store._tables import request_votes, requests, users


class VoteError(StoreError):
    pass


class VoteLimitError(VoteError):
    """Too many votes in the last hour."""


class VoteStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def vote(self, request_id: int, user: str, at: datetime, per_hour: int) -> int:
        """`user` votes for the PENDING request; its vote count after."""
        try:
            with self._engine.begin() as conn:
                user_id = conn.execute(select(users.c.id).where(users.c.name == user)).scalar()
                row = conn.execute(
                    select(requests.c.status, requests.c.sender).where(requests.c.id == request_id)
                ).first()
                if user_id is None or row is None:
                    raise VoteError(f"no request #{request_id}", "see the queue")
                if row.status != Status.PENDING.value:
                    raise VoteError(f"request #{request_id} is {row.status}",
                                    "only pending requests take votes")  # fmt: skip
                if row.sender == user:
                    raise VoteError(f"request #{request_id} is your own",
                                    "votes are for other people's requests")  # fmt: skip
                recent = conn.execute(
                    select(func.count()).select_from(request_votes).where(
                        request_votes.c.user_id == user_id,
                        request_votes.c.at > at - timedelta(hours=1),
                    )
                ).scalar_one()  # fmt: skip
                if recent >= per_hour:
                    raise VoteLimitError(f"{user} voted {recent} times in the last hour",
                                    f"at most {per_hour} an hour: try again later")  # fmt: skip
                conn.execute(
                    insert(request_votes).values(request_id=request_id, user_id=user_id, at=at)
                )
        except IntegrityError as exc:
            raise VoteError(f"you already voted for request #{request_id}",
                            "one vote per request; take it back to vote again") from exc  # fmt: skip
        return self.counts([request_id]).get(request_id, 0)

    def unvote(self, request_id: int, user: str) -> bool:
        with self._engine.begin() as conn:
            user_id = select(users.c.id).where(users.c.name == user).scalar_subquery()
            return bool(conn.execute(
                delete(request_votes).where(request_votes.c.request_id == request_id,
                                            request_votes.c.user_id == user_id)
            ).rowcount)  # fmt: skip

    def counts(self, request_ids: list[int] | None = None) -> dict[int, int]:
        """Votes per request (None: every request that has any)."""
        query = select(request_votes.c.request_id, func.count()).group_by(
            request_votes.c.request_id
        )
        if request_ids is not None:
            query = query.where(request_votes.c.request_id.in_(request_ids))
        with self._reader.connect() as conn:
            return {int(r): int(n) for r, n in conn.execute(query)}

    def voted_by(self, user: str) -> set[int]:
        query = (
            select(request_votes.c.request_id)
            .join(users, users.c.id == request_votes.c.user_id)
            .where(users.c.name == user)
        )
        with self._reader.connect() as conn:
            return {int(r) for r in conn.execute(query).scalars()}
