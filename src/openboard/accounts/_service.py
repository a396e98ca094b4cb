"""Accounts: creating users, checking passwords and tokens, issuing and revoking tokens."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from openboard.accounts._tokens import display_prefix, new_token, token_hash
from openboard.domain import OpenboardError, Role
from openboard.store import ApiToken, Store, User

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
MAX_LABEL_CHARS = 100  # the account page's maxlength, enforced here for every caller
MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024  # argon2 hashes any length; a cap keeps a huge body from costing CPU


class AccountError(OpenboardError):
    pass


@dataclass(frozen=True, slots=True)
class IssuedToken:
    secret: str  # shown once, never stored
    token: ApiToken


class AccountService:
    def __init__(self, store: Store, clock: Callable[[], datetime]) -> None:
        self._accounts = store.accounts
        self._clock = clock
        self._hasher = PasswordHasher()

    def add_user(
        self, name: str, password: str | None, role: Role, actor: str,
        external_id: str | None = None,
    ) -> User:  # fmt: skip
        if not _NAME.fullmatch(name):
            raise AccountError(
                f"{name!r} is not a valid user name",
                "use 1-63 letters, digits, '_', '.' or '-', starting with a letter or digit",
            )
        hashed = self._hash(password) if password is not None else None
        return self._accounts.add_user(name, hashed, role, actor, self._clock(), external_id)

    def set_password(self, name: str, password: str, actor: str) -> None:
        """A new password; every web sign-in of the user ends (a stolen cookie with it)."""
        if not self._accounts.set_password_hash(name, self._hash(password), actor, self._clock()):
            raise AccountError(f"there is no user {name!r}", "see `openboard users list`")
        self._accounts.end_sessions(name, actor, self._clock(), "password changed")

    def start_session(self, name: str, days: float) -> str:
        """A web sign-in: the secret for the cookie (only its sha256 is stored)."""
        secret, now = new_token(), self._clock()
        if not self._accounts.open_session(
            name, token_hash(secret), now, now + timedelta(days=days)
        ):
            raise AccountError(f"there is no user {name!r}", "sign in again")
        return secret

    def session_user(self, secret: str) -> User | None:
        if len(secret) > 200:
            return None
        return self._accounts.session_user(token_hash(secret), self._clock())

    def end_session(self, secret: str) -> None:
        self._accounts.end_session(token_hash(secret), self._clock())

    def sign_out_everywhere(self, name: str, actor: str, reason: str) -> int:
        if self._accounts.user(name) is None:
            raise AccountError(f"there is no user {name!r}", "see `openboard users list`")
        return self._accounts.end_sessions(name, actor, self._clock(), reason)

    def _hash(self, password: str) -> str:
        if not MIN_PASSWORD_CHARS <= len(password) <= MAX_PASSWORD_CHARS:
            raise AccountError(
                f"a password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters",
                "choose a longer passphrase",
            )
        return self._hasher.hash(password)

    def authenticate(self, name: str, password: str) -> User | None:
        if len(password) > MAX_PASSWORD_CHARS:
            return None
        stored = self._accounts.password_hash(name) if _NAME.fullmatch(name) else None
        try:
            self._hasher.verify(stored or _dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            return None
        if stored is None:
            return None
        if self._hasher.check_needs_rehash(stored):  # parameters raised since it was hashed
            self._accounts.set_password_hash(name, self._hasher.hash(password), name, self._clock())
        return self._accounts.user(name)

    def issue_token(
        self, user: str, label: str, actor: str, days: float | None = None
    ) -> IssuedToken:
        if self._accounts.user(user) is None:
            raise AccountError(f"there is no user {user!r}", "add it with `openboard users add`")
        if days is not None and days <= 0:
            raise AccountError("a token must live more than 0 days", "give --days > 0, or none")
        if any(ord(c) < 32 or ord(c) == 127 for c in label):
            raise AccountError(
                "the token label holds control characters (such as NUL)", "give a plain-text label"
            )
        if len(label) > MAX_LABEL_CHARS:
            raise AccountError(
                f"the token label is {len(label)} characters long; at most {MAX_LABEL_CHARS}",
                "give a shorter label (what the token is for)",
            )
        now = self._clock()
        secret = new_token()
        stored = self._accounts.add_token(
            user, token_hash(secret), display_prefix(secret), label, actor, now,
            now + timedelta(days=days) if days is not None else None,
        )  # fmt: skip
        return IssuedToken(secret=secret, token=stored)

    def user_for_token(self, secret: str) -> User | None:
        if len(secret) > 200:
            return None
        return self._accounts.user_for_token(token_hash(secret), self._clock())

    def revoke_token(self, token_id: int, actor: str, reason: str) -> None:
        if not self._accounts.revoke_token(token_id, actor, self._clock(), reason):
            raise AccountError(
                f"there is no live token #{token_id}", "see `openboard users tokens`"
            )

    def set_role(self, name: str, role: Role, actor: str, reason: str) -> None:
        """A new role; the user signs in again to use it (their web sessions end)."""
        if not self._accounts.set_role(name, role, actor, self._clock(), reason):
            raise AccountError(f"there is no user {name!r}", "see `openboard users list`")
        self._accounts.end_sessions(name, actor, self._clock(), f"role changed: {reason}")

    def users(self) -> list[User]:
        return self._accounts.users()

    def tokens(self, user: str | None = None) -> list[ApiToken]:
        return self._accounts.tokens(user)

    def user(self, name: str) -> User | None:
        return self._accounts.user(name)

    def user_by_external_id(self, external_id: str) -> User | None:
        return self._accounts.user_by_external_id(external_id)


@cache
def _dummy_hash() -> str:
    """Checked when the user does not exist, so that a wrong name costs as long as a wrong
    password and timing does not tell which names exist. Hashed once per process, on first need:
    every CLI command and test site built an account service, and each paid a hash for it."""
    return PasswordHasher().hash("not a password of anyone")
