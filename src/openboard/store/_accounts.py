"""Users and API tokens. Passwords arrive hashed (argon2, by `openboard.accounts`) and tokens as
their sha256: neither secret is ever stored."""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from openboard.domain import Role
from openboard.store._audit import record
from openboard.store._engine import reader_of
from openboard.store._errors import StoreError
from openboard.store._records import ApiToken, AuditEntry, User
from openboard.store._tables import api_tokens, users, web_sessions
from openboard.store._time import as_utc


class DuplicateUserError(StoreError):
    pass


def _user(row: Any) -> User:
    return User(
        id=row["id"], name=row["name"], role=Role(row["role"]),
        created_at=as_utc(row["created_at"]), has_password=row["password_hash"] is not None,
        external_id=row["external_id"],
    )  # fmt: skip


def _token(row: Any) -> ApiToken:
    return ApiToken(
        id=row["id"], user=row["name"], prefix=row["prefix"], label=row["label"],
        created_at=as_utc(row["created_at"]),
        last_used_at=as_utc(row["last_used_at"]) if row["last_used_at"] else None,
        revoked_at=as_utc(row["revoked_at"]) if row["revoked_at"] else None,
        expires_at=as_utc(row["expires_at"]) if row["expires_at"] else None,
    )  # fmt: skip


class AccountStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def add_user(
        self, name: str, password_hash: str | None, role: Role, actor: str, at: datetime,
        external_id: str | None = None,
    ) -> User:  # fmt: skip
        try:
            with self._engine.begin() as conn:
                conn.execute(
                    insert(users).values(
                        name=name, password_hash=password_hash, role=role.value, created_at=at,
                        external_id=external_id,
                    )
                )  # fmt: skip
                record(conn, AuditEntry(actor, "user.add", f"user {name}", "", at,
                                        {"role": role.value}))  # fmt: skip
        except IntegrityError as exc:
            raise DuplicateUserError(
                f"there is already a user named {name!r}", "choose another name"
            ) from exc
        found = self.user(name)
        assert found is not None  # just inserted
        return found

    def user(self, name: str) -> User | None:
        with self._reader.connect() as conn:
            row = conn.execute(select(users).where(users.c.name == name)).mappings().first()
        return _user(row) if row else None

    def user_by_external_id(self, external_id: str) -> User | None:
        query = select(users).where(users.c.external_id == external_id)
        with self._reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _user(row) if row else None

    def password_hash(self, name: str) -> str | None:
        query = select(users.c.password_hash).where(users.c.name == name)
        with self._reader.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return str(value) if value is not None else None

    def set_password_hash(self, name: str, password_hash: str, actor: str, at: datetime) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(users).where(users.c.name == name).values(password_hash=password_hash)
            ).rowcount
            if changed:
                record(conn, AuditEntry(actor, "user.password", f"user {name}", "", at))
        return bool(changed)

    def users(self) -> list[User]:
        with self._reader.connect() as conn:
            return [_user(r) for r in conn.execute(select(users).order_by(users.c.name)).mappings()]

    def set_role(self, name: str, role: Role, actor: str, at: datetime, reason: str) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(users).where(users.c.name == name).values(role=role.value)
            ).rowcount
            if changed:
                record(conn, AuditEntry(actor, "user.role", f"user {name}", reason, at,
                                        {"role": role.value}))  # fmt: skip
        return bool(changed)

    def add_token(
        self, user: str, token_hash: str, prefix: str, label: str, actor: str, at: datetime,
        expires_at: datetime | None = None,
    ) -> ApiToken:  # fmt: skip
        with self._engine.begin() as conn:
            user_id = conn.execute(select(users.c.id).where(users.c.name == user)).scalar_one()
            inserted = conn.execute(
                insert(api_tokens).values(
                    user_id=user_id, token_hash=token_hash, prefix=prefix, label=label,
                    created_at=at, expires_at=expires_at,
                )
            ).inserted_primary_key  # fmt: skip
            assert inserted is not None  # a single-row insert has its key
            token_id = int(inserted[0])
            record(conn, AuditEntry(actor, "token.issue", f"user {user}", "", at,
                                    {"token_id": token_id, "prefix": prefix, "label": label}))  # fmt: skip
        return next(t for t in self.tokens(user) if t.id == token_id)

    def user_for_token(self, token_hash: str, at: datetime) -> User | None:
        """The owner of a live (not revoked, not expired) token, noting its use."""
        query = (
            select(users, api_tokens.c.id.label("token_id"), api_tokens.c.last_used_at)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(
                api_tokens.c.token_hash == token_hash,
                api_tokens.c.revoked_at.is_(None),
                or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > at),
            )
        )
        with self._reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        if row is None:
            return None
        # Noted at most once a minute per token: an API call should not always take the write lock.
        last = row["last_used_at"]
        if last is not None and as_utc(last) > at - timedelta(minutes=1):
            return _user(row)
        with self._engine.begin() as conn:
            conn.execute(
                update(api_tokens)
                .where(
                    api_tokens.c.id == row["token_id"],
                    or_(api_tokens.c.last_used_at.is_(None),
                        api_tokens.c.last_used_at < at - timedelta(minutes=1)),
                )
                .values(last_used_at=at)
            )  # fmt: skip
        return _user(row)

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        query = (
            select(api_tokens, users.c.name)
            .join(users, api_tokens.c.user_id == users.c.id)
            .order_by(api_tokens.c.id)
        )
        if user is not None:
            query = query.where(users.c.name == user)
        with self._reader.connect() as conn:
            return [_token(r) for r in conn.execute(query).mappings()]

    def revoke_token(self, token_id: int, actor: str, at: datetime, reason: str) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(api_tokens)
                .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
                .values(revoked_at=at)
            ).rowcount
            if changed:
                record(conn, AuditEntry(actor, "token.revoke", f"token {token_id}", reason, at))
        return bool(changed)

    def open_session(self, name: str, id_hash: str, at: datetime, expires_at: datetime) -> bool:
        with self._engine.begin() as conn:
            user_id = conn.execute(select(users.c.id).where(users.c.name == name)).scalar()
            if user_id is None:
                return False
            conn.execute(insert(web_sessions).values(
                id_hash=id_hash, user_id=user_id, created_at=at, expires_at=expires_at
            ))  # fmt: skip
        return True

    def session_user(self, id_hash: str, at: datetime) -> User | None:
        """The user of a live session: not ended, not expired."""
        query = (
            select(users)
            .join(web_sessions, web_sessions.c.user_id == users.c.id)
            .where(
                web_sessions.c.id_hash == id_hash,
                web_sessions.c.ended_at.is_(None),
                web_sessions.c.expires_at > at,
            )
        )
        with self._reader.connect() as conn:
            row = conn.execute(query).mappings().first()
        return _user(row) if row else None

    def end_session(self, id_hash: str, at: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(web_sessions).where(
                web_sessions.c.id_hash == id_hash, web_sessions.c.ended_at.is_(None)
            ).values(ended_at=at))  # fmt: skip

    def end_sessions(self, name: str, actor: str, at: datetime, reason: str) -> int:
        """End every live session of `name` (audited); returns how many there were."""
        with self._engine.begin() as conn:
            user_id = select(users.c.id).where(users.c.name == name).scalar_subquery()
            ended = conn.execute(update(web_sessions).where(
                web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None)
            ).values(ended_at=at)).rowcount  # fmt: skip
            record(conn, AuditEntry(actor, "user.sign_out", f"user {name}", reason, at,
                                    {"sessions": ended}))  # fmt: skip
        return int(ended)
