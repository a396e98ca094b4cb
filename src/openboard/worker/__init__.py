"""The worker loop: claim a request, evaluate it, store the outcome."""

from openboard.worker._artifacts import (
    ARTIFACT_SCHEMA_VERSION,
    reproduction_command,
    write_artifacts,
)
from openboard.worker._worker import Worker, default_worker_name

__all__ = [
    "ARTIFACT_SCHEMA_VERSION",
    "Worker",
    "default_worker_name",
    "reproduction_command",
    "write_artifacts",
]
