"""The worker loop: claim a request, evaluate it, store the outcome."""

from openboard.worker._artifacts import (
    ARTIFACT_SCHEMA_VERSION,
    reproduction_command,
    write_artifacts,
)
from openboard.worker._results_io import ResultsImportError, export_results, import_results
from openboard.worker._worker import Worker, default_worker_name

__all__ = [
    "ARTIFACT_SCHEMA_VERSION",
    "ResultsImportError",
    "Worker",
    "default_worker_name",
    "export_results",
    "import_results",
    "reproduction_command",
    "write_artifacts",
]
