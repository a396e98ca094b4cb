"""API tokens: random secrets shown once; only their sha256 is stored (a fast hash suffices for
256 random bits, and keeps every authenticated API call cheap)."""

import hashlib
import secrets

TOKEN_PREFIX = "obt_"  # recognisable in a leaked log or a secret scanner


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def display_prefix(secret: str) -> str:
    return secret[: len(TOKEN_PREFIX) + 6]
