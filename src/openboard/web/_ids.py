"""A row id in a route's path: bounded, so that a number past what the database holds is a 422
naming the parameter, not an overflow inside the driver (SQLite refuses integers over 2**63)."""

from typing import Annotated

from fastapi import Path

__all__ = ["MAX_ID", "RowId"]

MAX_ID = 2**31 - 1

RowId = Annotated[int, Path(ge=1, le=MAX_ID)]
