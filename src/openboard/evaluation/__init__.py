"""Suites, the lm-eval adapter, and the public leaderboard's scoring."""

from openboard.evaluation._backend import Backend, BackendSetting, choose_backend, vllm_blocker
from openboard.evaluation._datasets import (
    BenchmarkData,
    ImportResult,
    dataset_status,
    import_datasets,
    write_overrides,
)
from openboard.evaluation._efficiency import PEAK_TFLOPS, Efficiency, peak_tflops
from openboard.evaluation._errors import (
    DatasetMissingError,
    EvaluationError,
    ModelLoadError,
    UnsupportedBackendError,
    UnsupportedPrecisionError,
)
from openboard.evaluation._harness import (
    OFFLINE_ENVIRONMENT,
    EvaluationOutput,
    EvaluationSpec,
    run_evaluation,
)
from openboard.evaluation._hub_download import DatasetHub, Fetched, hub_api
from openboard.evaluation._hub_download import download as download_datasets
from openboard.evaluation._math_verify import JudgePool, judge_answers
from openboard.evaluation._mirror_lock import provenance as dataset_provenance
from openboard.evaluation._nltk import ensure_punkt_tab
from openboard.evaluation._outcomes import (
    OUTCOMES_FILE,
    interval_record,
    outcomes_from_samples,
    read_outcomes,
    result_intervals,
    write_outcomes,
)
from openboard.evaluation._registry import SUITES, UnknownSuiteError, all_suites, get_suite
from openboard.evaluation._run_diff import (
    COMPARISON_FILE,
    ChangedSample,
    RunComparison,
    TaskComparison,
    compare_runs,
    compare_samples,
)
from openboard.evaluation._samples import (
    HIDDEN_TEXT_TASKS,
    SAMPLES_FILE,
    Sample,
    SamplePage,
    read_samples,
    text_hidden,
)
from openboard.evaluation._scoring import (
    NonFiniteScoreError,
    ResultsFormatError,
    SuiteScores,
    TaskSamples,
    average,
    benchmark_score,
    co2_kg,
    normalize,
    parse_task_scores,
    score_suite,
    size_weighted_mean,
)
from openboard.evaluation._starter import generate_examples, write_starter_tasks
from openboard.evaluation._suite_files import SuiteFileError, load_suite_file
from openboard.evaluation._suites import STARTER, Aggregation, BenchmarkSpec, Scorer, Suite
from openboard.evaluation._tasks import prepare_tasks
from openboard.evaluation._v1 import V1
from openboard.evaluation._v2 import V2
from openboard.evaluation._v2_sources import V2_HUB_DATA, HubDataset

__all__ = [
    "COMPARISON_FILE",
    "HIDDEN_TEXT_TASKS",
    "OFFLINE_ENVIRONMENT",
    "OUTCOMES_FILE",
    "PEAK_TFLOPS",
    "SAMPLES_FILE",
    "STARTER",
    "SUITES",
    "V1",
    "V2",
    "V2_HUB_DATA",
    "Aggregation",
    "Backend",
    "BackendSetting",
    "BenchmarkData",
    "BenchmarkSpec",
    "ChangedSample",
    "DatasetHub",
    "DatasetMissingError",
    "Efficiency",
    "EvaluationError",
    "EvaluationOutput",
    "EvaluationSpec",
    "Fetched",
    "HubDataset",
    "ImportResult",
    "JudgePool",
    "ModelLoadError",
    "NonFiniteScoreError",
    "ResultsFormatError",
    "RunComparison",
    "Sample",
    "SamplePage",
    "Scorer",
    "Suite",
    "SuiteFileError",
    "SuiteScores",
    "TaskComparison",
    "TaskSamples",
    "UnknownSuiteError",
    "UnsupportedBackendError",
    "UnsupportedPrecisionError",
    "all_suites",
    "average",
    "benchmark_score",
    "choose_backend",
    "co2_kg",
    "compare_runs",
    "compare_samples",
    "dataset_provenance",
    "dataset_status",
    "download_datasets",
    "ensure_punkt_tab",
    "generate_examples",
    "get_suite",
    "hub_api",
    "import_datasets",
    "interval_record",
    "judge_answers",
    "load_suite_file",
    "normalize",
    "outcomes_from_samples",
    "parse_task_scores",
    "peak_tflops",
    "prepare_tasks",
    "read_outcomes",
    "read_samples",
    "result_intervals",
    "run_evaluation",
    "score_suite",
    "size_weighted_mean",
    "text_hidden",
    "vllm_blocker",
    "write_outcomes",
    "write_overrides",
    "write_starter_tasks",
]
