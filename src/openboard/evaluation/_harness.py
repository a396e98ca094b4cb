"""The lm-evaluation-harness adapter: run a suite on a model folder, return lm-eval's output and typed scores."""

import os
import random
import time
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from openboard.domain import BenchmarkScore, Precision, TaskScore
from openboard.evaluation._errors import EvaluationError
from openboard.evaluation._nltk import ensure_punkt_tab
from openboard.evaluation._scoring import score_suite
from openboard.evaluation._suites import Suite
from openboard.evaluation._tasks import prepare_tasks

# Every evaluation runs offline: nothing may wait on, or silently read from, the network.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}

_DTYPES = {Precision.FLOAT16: "float16", Precision.BFLOAT16: "bfloat16"}


@dataclass(frozen=True, slots=True)
class EvaluationSpec:
    """Everything that determines a score; the reproducibility record is built from it."""

    model_path: Path
    precision: Precision
    suite: Suite
    tasks_dir: Path
    apply_chat_template: bool = False
    limit: int | None = None
    batch_size: str = "auto"
    device: str = "cpu"
    seed: int = 1234
    nltk_data: Path | None = None  # where IFEval's punkt_tab is written; default: beside tasks_dir

    def model_args(self) -> dict[str, Any]:
        if self.precision not in _DTYPES:
            raise EvaluationError(
                f"precision {self.precision} needs a GPU with bitsandbytes or GPTQ support",
                "run a worker on a GPU machine, or submit in float16 or bfloat16",
            )
        return {
            "pretrained": str(self.model_path),
            "dtype": _DTYPES[self.precision],
            "trust_remote_code": False,
        }


@dataclass(frozen=True)
class EvaluationOutput:
    results: dict[str, Any]
    samples: dict[str, list[dict[str, Any]]]
    task_scores: list[TaskScore]
    benchmark_scores: list[BenchmarkScore]
    average: float
    wall_seconds: float
    versions: dict[str, str] = field(default_factory=dict)


def run_evaluation(spec: EvaluationSpec) -> EvaluationOutput:
    """Run lm-eval's `simple_evaluate` on the suite's tasks only, then score its output."""
    os.environ.update(OFFLINE_ENVIRONMENT)
    ensure_punkt_tab(spec.nltk_data or spec.tasks_dir.parent / "nltk_data")
    import lm_eval
    import torch
    import transformers
    from lm_eval.tasks import TaskManager

    include_path = prepare_tasks(spec.suite, spec.tasks_dir)
    # Only openboard's own task folder is indexed: lm-eval's 14,000 defaults take seconds to scan.
    task_manager = TaskManager(include_path=str(include_path), include_defaults=False)
    random.seed(spec.seed)
    started = time.perf_counter()
    results = lm_eval.simple_evaluate(
        model="hf",
        model_args=spec.model_args(),
        tasks=spec.suite.task_names,
        task_manager=task_manager,
        batch_size=spec.batch_size,
        device=spec.device,
        limit=spec.limit,
        log_samples=True,
        apply_chat_template=spec.apply_chat_template,
        fewshot_as_multiturn=spec.apply_chat_template,
        random_seed=spec.seed,
        numpy_random_seed=spec.seed,
        torch_random_seed=spec.seed,
        fewshot_random_seed=spec.seed,
    )
    wall = time.perf_counter() - started
    if results is None:  # only on non-zero ranks of a distributed run, which openboard never starts
        raise EvaluationError("lm-eval returned no results", "see the evaluation log")
    samples = results.pop("samples", {})
    task_scores, benchmarks, mean = score_suite(results, spec.suite)
    return EvaluationOutput(
        results=results,
        samples=samples,
        task_scores=task_scores,
        benchmark_scores=benchmarks,
        average=mean,
        wall_seconds=wall,
        versions={
            "lm_eval": version("lm_eval"),
            "transformers": transformers.__version__,
            "torch": torch.__version__,
        },
    )
