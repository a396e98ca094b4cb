"""Who may do what: local accounts (argon2 passwords), API tokens, roles."""

from openboard.accounts._service import AccountError, AccountService, IssuedToken
from openboard.accounts._tokens import TOKEN_PREFIX, token_hash

__all__ = ["TOKEN_PREFIX", "AccountError", "AccountService", "IssuedToken", "token_hash"]
