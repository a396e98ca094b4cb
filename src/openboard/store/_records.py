from dataclasses import dataclass, field
from datetime import datetime

from openboard.domain import (
    FailureKind,
    ModelType,
    Origin,
    PinKind,
    Precision,
    Role,
    Status,
    WeightType,
)


@dataclass(frozen=True, slots=True)
class NewRequest:
    """A validated submission, ready to queue."""

    model: str
    base_model: str | None
    requested_revision: str
    revision: str
    pin: PinKind
    precision: Precision
    weight_type: WeightType
    model_type: ModelType
    use_chat_template: bool
    params: int | None
    architectures: list[str]
    sender: str
    submitted_time: datetime
    suite: str
    base_revision: str | None = None
    license: str | None = None
    merged: bool = False
    moe: bool = False
    model_card: str | None = None  # Markdown as submitted; untrusted

    @property
    def namespace(self) -> str:
        return self.model.split("/", 1)[0]


@dataclass(frozen=True, slots=True)
class Admission:
    """The rate limit a request is held to when it is queued; None: exempt (official provider, import)."""

    limit: int
    window_start: datetime
    window_days: float


@dataclass(frozen=True, slots=True)
class EvaluationCost:
    """What a finished evaluation cost, as the board shows it (its reproducibility record has the
    rest: peak memory, FLOPs utilization, time per request phase)."""

    backend: str  # the lm-eval model that ran it: hf, openboard, vllm
    tokens: int | None  # prompt + generated, padding included; None: not counted (vLLM)
    tokens_per_second: float | None
    device_hours: float
    gpu_hours: float | None  # None on a CPU


@dataclass(frozen=True, slots=True)
class BlocklistEntry:
    pattern: str  # `org/name`, or `org/*` for a whole namespace
    reason: str
    added_by: str
    added_at: datetime


@dataclass(frozen=True, slots=True)
class EvalRequest:
    """A queued evaluation: the public queue's request record plus openboard's bookkeeping."""

    id: int
    model: str
    base_model: str | None
    requested_revision: str
    revision: str
    pin: PinKind
    precision: Precision
    weight_type: WeightType
    model_type: ModelType
    use_chat_template: bool
    params: int | None
    architectures: list[str]
    status: Status
    sender: str
    submitted_time: datetime
    suite: str
    job_id: str | None = None
    job_start_time: datetime | None = None
    finished_time: datetime | None = None
    attempts: int = 0  # claims so far: this attempt's fencing token while RUNNING
    uncounted_attempts: int = 0  # claims that do not count against max_attempts
    worker: str | None = None
    progress_done: int | None = None
    progress_total: int | None = None
    failure_reason: str | None = None
    failure_kind: FailureKind | None = None
    log_tail: str | None = None
    average: float | None = None
    eval_seconds: float | None = None
    co2_kg: float | None = None
    eval_backend: str | None = None  # hf, openboard, vllm: the lm-eval model that ran it
    eval_tokens: int | None = None  # prompt + generated tokens; None: not counted
    tokens_per_second: float | None = None
    device_hours: float | None = None
    gpu_hours: float | None = None  # None on a CPU
    base_revision: str | None = None
    license: str | None = None
    merged: bool = False
    moe: bool = False
    lease_expires_at: datetime | None = None
    heartbeat_at: datetime | None = None
    priority: int = 0
    hidden: bool = False
    available: bool | None = None  # None: never checked (`openboard availability`)
    unavailable_reason: str | None = None
    eval_limit: int | None = None  # samples per task of the finished run; None: every sample
    data_modified: bool = False  # its benchmark data differed from the published checksums
    availability_checked_at: datetime | None = None
    scorer: str | None = None  # the suite scorer (name/version) of the current scores
    origin: Origin = Origin.LOCAL
    contamination_check: bool | None = None  # an admin's switch; None: the suite's setting

    @property
    def namespace(self) -> str:
        return self.model.split("/", 1)[0]

    @property
    def counted_attempts(self) -> int:
        """Attempts spent from the budget (`max_attempts`); an admin's requeue starts it afresh."""
        return self.attempts - self.uncounted_attempts


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a request's history; `kind` names what happened (submitted, claim, lost,
    hand_back, requeue, finish, fail, cancel, ...)."""

    request_id: int | None
    at: datetime
    actor: str
    kind: str
    from_status: Status | None
    to_status: Status | None
    message: str
    attempt: int | None = None  # the claim it is about (`EvalRequest.attempts`)


@dataclass(frozen=True, slots=True)
class User:
    id: int
    name: str
    role: Role
    created_at: datetime
    has_password: bool
    external_id: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN


@dataclass(frozen=True, slots=True)
class ApiToken:
    """A token's public face; the secret itself is never stored, only its hash."""

    id: int
    user: str
    prefix: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    expires_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Flag:
    model: str
    reason: str
    link: str | None
    flagged_by: str
    flagged_at: datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One moderator's or operator's action: who, when, what, on what, and why."""

    actor: str
    action: str
    target: str
    reason: str
    at: datetime
    details: dict[str, object] = field(default_factory=dict)
    id: int | None = None  # set once stored
