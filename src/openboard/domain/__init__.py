"""Value types shared by every layer. Imports nothing of openboard."""

from openboard.domain._enums import (
    FailureKind,
    ModelType,
    Origin,
    PinKind,
    Precision,
    Role,
    Severity,
    Status,
    WeightType,
)
from openboard.domain._errors import InvalidModelIdError, OpenboardError
from openboard.domain._intervals import AVERAGE, IntervalMethod, ScoreInterval
from openboard.domain._model_id import ModelId
from openboard.domain._patterns import parse_model_pattern
from openboard.domain._records import Finding, SubmissionRequest, Verdict
from openboard.domain._scores import BenchmarkScore, TaskScore
from openboard.domain._search import (
    DEFAULT_SEARCH_DEADLINE_S,
    SEARCH_FIELDS,
    InvalidSearchError,
    SearchDeadlineError,
    SearchGroup,
    SearchMatcher,
    compile_search,
    parse_search,
    pattern_search,
)

__all__ = [
    "AVERAGE",
    "DEFAULT_SEARCH_DEADLINE_S",
    "SEARCH_FIELDS",
    "BenchmarkScore",
    "FailureKind",
    "Finding",
    "IntervalMethod",
    "InvalidModelIdError",
    "InvalidSearchError",
    "ModelId",
    "ModelType",
    "OpenboardError",
    "Origin",
    "PinKind",
    "Precision",
    "Role",
    "ScoreInterval",
    "SearchDeadlineError",
    "SearchGroup",
    "SearchMatcher",
    "Severity",
    "Status",
    "SubmissionRequest",
    "TaskScore",
    "Verdict",
    "WeightType",
    "compile_search",
    "parse_model_pattern",
    "parse_search",
    "pattern_search",
]
