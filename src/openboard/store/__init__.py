"""The database: tables, migrations and the queries every other layer uses. Only this package speaks SQL."""

from openboard.store._board import SORT_COLUMNS, BoardPoint, BoardQuery, BoardRow
from openboard.store._errors import (
    AdmissionError,
    BlockedModelError,
    DuplicateRequestError,
    RateLimitError,
    StoreError,
)
from openboard.store._migrate import HEAD_REVISION, current_revision, migrate
from openboard.store._records import (
    Admission,
    BlocklistEntry,
    EvalRequest,
    Event,
    LeaderboardRow,
    NewRequest,
)
from openboard.store._store import BoardResult, StatusChange, Store

__all__ = [
    "HEAD_REVISION",
    "SORT_COLUMNS",
    "Admission",
    "AdmissionError",
    "BlockedModelError",
    "BlocklistEntry",
    "BoardPoint",
    "BoardQuery",
    "BoardResult",
    "BoardRow",
    "DuplicateRequestError",
    "EvalRequest",
    "Event",
    "LeaderboardRow",
    "NewRequest",
    "RateLimitError",
    "StatusChange",
    "Store",
    "StoreError",
    "current_revision",
    "migrate",
]
