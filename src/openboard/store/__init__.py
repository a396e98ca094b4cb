"""The database: tables, migrations and the queries every other layer uses. Only this package
speaks SQL and knows SQLAlchemy: a driver's operational error leaves it as `DatabaseUnavailableError`."""

from openboard.store._accounts import AccountStore, DuplicateUserError
from openboard.store._archive import ArchiveEntry, ArchiveOutcome, ArchiveProvenance, ArchiveStore
from openboard.store._availability import AvailabilityStore, Commit
from openboard.store._board import SORT_COLUMNS, BoardPoint, BoardQuery, BoardRow, ShownRequest
from openboard.store._contamination import ContaminationEvidence, ContaminationStore
from openboard.store._errors import (
    AdmissionError,
    BlockedModelError,
    BoardWouldWaitError,
    DatabaseUnavailableError,
    DuplicateRequestError,
    RateLimitError,
    StoreError,
)
from openboard.store._intervals import IntervalStore
from openboard.store._migrate import HEAD_REVISION, current_revision, migrate
from openboard.store._moderation import ModerationStore
from openboard.store._operations import Histogram, OperationalFacts, operational_facts, readiness
from openboard.store._queue import (
    BackToQueue,
    Budget,
    Cancel,
    Change,
    Claim,
    Clock,
    Fail,
    Finish,
    QueueStore,
    Transition,
)
from openboard.store._records import (
    Admission,
    ApiToken,
    AuditEntry,
    BlocklistEntry,
    EvalRequest,
    EvaluationCost,
    Event,
    Flag,
    NewRequest,
    User,
)
from openboard.store._retention import RetentionFacts, retention_facts
from openboard.store._scores import Rescored, ScoreChange, ScoreStore
from openboard.store._standing import BoardStanding
from openboard.store._store import BoardResult, Store, board_reads_never_wait
from openboard.store._votes import VoteError, VoteLimitError, VoteStore
from openboard.store._webhooks import (
    FLAGGED,
    WEBHOOK_EVENTS,
    Delivery,
    DeliveryAttempt,
    NewDelivery,
    OutboxEntry,
    Webhook,
    WebhookStore,
)

__all__ = [
    "FLAGGED",
    "HEAD_REVISION",
    "SORT_COLUMNS",
    "WEBHOOK_EVENTS",
    "AccountStore",
    "Admission",
    "AdmissionError",
    "ApiToken",
    "ArchiveEntry",
    "ArchiveOutcome",
    "ArchiveProvenance",
    "ArchiveStore",
    "AuditEntry",
    "AvailabilityStore",
    "BackToQueue",
    "BlockedModelError",
    "BlocklistEntry",
    "BoardPoint",
    "BoardQuery",
    "BoardResult",
    "BoardRow",
    "BoardStanding",
    "BoardWouldWaitError",
    "Budget",
    "Cancel",
    "Change",
    "Claim",
    "Clock",
    "Commit",
    "ContaminationEvidence",
    "ContaminationStore",
    "DatabaseUnavailableError",
    "Delivery",
    "DeliveryAttempt",
    "DuplicateRequestError",
    "DuplicateUserError",
    "EvalRequest",
    "EvaluationCost",
    "Event",
    "Fail",
    "Finish",
    "Flag",
    "Histogram",
    "IntervalStore",
    "ModerationStore",
    "NewDelivery",
    "NewRequest",
    "OperationalFacts",
    "OutboxEntry",
    "QueueStore",
    "RateLimitError",
    "Rescored",
    "RetentionFacts",
    "ScoreChange",
    "ScoreStore",
    "ShownRequest",
    "Store",
    "StoreError",
    "Transition",
    "User",
    "VoteError",
    "VoteLimitError",
    "VoteStore",
    "Webhook",
    "WebhookStore",
    "board_reads_never_wait",
    "current_revision",
    "migrate",
    "operational_facts",
    "readiness",
    "retention_facts",
]
