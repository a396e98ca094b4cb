"""Value types shared by every layer. Imports nothing of openboard."""

from openboard.domain._enums import (
    FailureKind,
    ModelType,
    PinKind,
    Precision,
    Severity,
    Status,
    WeightType,
)
from openboard.domain._errors import InvalidModelIdError, OpenboardError
from openboard.domain._model_id import ModelId
from openboard.domain._patterns import parse_model_pattern
from openboard.domain._records import Finding, SubmissionRequest, Verdict
from openboard.domain._scores import BenchmarkScore, TaskScore

__all__ = [
    "BenchmarkScore",
    "FailureKind",
    "Finding",
    "InvalidModelIdError",
    "ModelId",
    "ModelType",
    "OpenboardError",
    "PinKind",
    "Precision",
    "Severity",
    "Status",
    "SubmissionRequest",
    "TaskScore",
    "Verdict",
    "WeightType",
    "parse_model_pattern",
]
