"""Suites, the lm-eval adapter, and the public leaderboard's scoring."""

from openboard.evaluation._errors import EvaluationError
from openboard.evaluation._harness import (
    OFFLINE_ENVIRONMENT,
    EvaluationOutput,
    EvaluationSpec,
    run_evaluation,
)
from openboard.evaluation._scoring import (
    ResultsFormatError,
    average,
    benchmark_score,
    normalize,
    parse_task_scores,
    score_suite,
)
from openboard.evaluation._starter import generate_examples, write_starter_tasks
from openboard.evaluation._suites import (
    STARTER,
    SUITES,
    BenchmarkSpec,
    Suite,
    UnknownSuiteError,
    get_suite,
)
from openboard.evaluation._tasks import prepare_tasks

__all__ = [
    "OFFLINE_ENVIRONMENT",
    "STARTER",
    "SUITES",
    "BenchmarkSpec",
    "EvaluationError",
    "EvaluationOutput",
    "EvaluationSpec",
    "ResultsFormatError",
    "Suite",
    "UnknownSuiteError",
    "average",
    "benchmark_score",
    "generate_examples",
    "get_suite",
    "normalize",
    "parse_task_scores",
    "prepare_tasks",
    "run_evaluation",
    "score_suite",
    "write_starter_tasks",
]
