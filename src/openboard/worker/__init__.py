"""The worker loop: claim a request with a lease, evaluate it in a child process, record it once."""

from openboard.worker._artifacts import (
    ARTIFACT_SCHEMA_VERSION,
    reproduction_command,
    write_artifacts,
)
from openboard.worker._intervals import (
    IntervalsOutcome,
    compute_intervals,
    intervals_for_all,
    record_intervals,
)
from openboard.worker._job import (
    Evaluation,
    EvaluationJob,
    Failed,
    Finished,
    JobControl,
    Lost,
    Outcome,
    Stopped,
)
from openboard.worker._rescore import (
    RescoreError,
    RescoreOutcome,
    rescore_all,
    rescore_request,
)
from openboard.worker._results_io import ResultsImportError, export_results, import_results
from openboard.worker._slurm import JobState, SlurmDispatcher, job_state
from openboard.worker._subprocess import SubprocessEvaluation
from openboard.worker._worker import SHUTDOWN, Worker, default_worker_name

__all__ = [
    "ARTIFACT_SCHEMA_VERSION",
    "SHUTDOWN",
    "Evaluation",
    "EvaluationJob",
    "Failed",
    "Finished",
    "IntervalsOutcome",
    "JobControl",
    "JobState",
    "Lost",
    "Outcome",
    "RescoreError",
    "RescoreOutcome",
    "ResultsImportError",
    "SlurmDispatcher",
    "Stopped",
    "SubprocessEvaluation",
    "Worker",
    "compute_intervals",
    "default_worker_name",
    "export_results",
    "import_results",
    "intervals_for_all",
    "job_state",
    "record_intervals",
    "reproduction_command",
    "rescore_all",
    "rescore_request",
    "write_artifacts",
]
