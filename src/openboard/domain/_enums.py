from enum import StrEnum


class Precision(StrEnum):
    FLOAT16 = "float16"
    BFLOAT16 = "bfloat16"
    INT8 = "8bit"
    INT4 = "4bit"
    GPTQ = "GPTQ"


class WeightType(StrEnum):
    ORIGINAL = "Original"
    DELTA = "Delta"
    ADAPTER = "Adapter"

    @property
    def needs_base_model(self) -> bool:
        return self is not WeightType.ORIGINAL


class ModelType(StrEnum):
    PRETRAINED = "pretrained"
    CONTINUOUSLY_PRETRAINED = "continuously pretrained"
    FINE_TUNED = "fine-tuned"
    CHAT = "chat"
    MERGE = "merge"
    MULTIMODAL = "multimodal"

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def description(self) -> str:
        return _DESCRIPTIONS[self]


_SYMBOLS = {
    ModelType.PRETRAINED: "🟢",
    ModelType.CONTINUOUSLY_PRETRAINED: "🟩",
    ModelType.FINE_TUNED: "🔶",
    ModelType.CHAT: "💬",
    ModelType.MERGE: "🤝",
    ModelType.MULTIMODAL: "🌸",
}

_DESCRIPTIONS = {
    ModelType.PRETRAINED: "new base models trained on a given corpus",
    ModelType.CONTINUOUSLY_PRETRAINED: "base models trained further (may include IFT/chat data)",
    ModelType.FINE_TUNED: "fine-tuned on domain-specific datasets",
    ModelType.CHAT: "chat models (RLHF, DPO, IFT, ...)",
    ModelType.MERGE: "base merges and moerges, merged or fused without further fine-tuning",
    ModelType.MULTIMODAL: "multimodal models",
}


class Status(StrEnum):
    """A request's lifecycle state; only `openboard.queue`'s named operations change it."""

    PENDING = "PENDING"
    RUNNING = "RUNNING"
    FINISHED = "FINISHED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"

    @property
    def is_terminal(self) -> bool:
        return self in (Status.FINISHED, Status.FAILED, Status.CANCELLED)


class Origin(StrEnum):
    """Where a result comes from: evaluated by openboard, or the public leaderboard's archive."""

    LOCAL = "local"
    ARCHIVE = "archive"


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


class PinKind(StrEnum):
    """How a request's revision was pinned."""

    GIT_COMMIT = "git"  # a full commit sha; the evaluation reads exactly that commit
    FINGERPRINT = "fingerprint"  # a plain folder: a hash of file names, sizes and headers


class FailureKind(StrEnum):
    """Why an evaluation failed, so that a submitter knows whose move it is."""

    MODEL_LOAD = "model load"
    OUT_OF_MEMORY = "out of memory"
    NON_FINITE_SCORE = "NaN or infinite score"
    HARNESS = "harness error"
    DATASET_MISSING = "dataset missing"
    MODEL_SOURCE = "model source"
    UNSUPPORTED = "unsupported here"
    WORKER_LOST = "worker lost"
    TIMEOUT = "timeout"
    CLUSTER = "cluster"  # the batch system ended the job (cancelled, node failure, ...)


class Role(StrEnum):
    """What an account may do: submit models, or also moderate and run the queue."""

    SUBMITTER = "submitter"
    ADMIN = "admin"
