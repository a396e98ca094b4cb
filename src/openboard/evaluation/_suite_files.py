"""Suites an operator adds as TOML files, one per suite, in `$OPENBOARD_HOME/suites/`.

name = "arc-easy-check"
version = "1"
include_path = "/srv/lm-eval-tasks"      # a folder of lm-eval task YAMLs
[[benchmarks]]
name = "arc"
display_name = "ARC"
metrics = ["acc_norm"]                   # the task's raw score is their mean
tasks = { my_arc_easy = 4 }              # task → number of choices; 0 for generative
aggregation = "subtask_mean"             # or "size_weighted": lm-eval's weight_by_size group value
scorer = "lm_eval"                       # or "math_verify": each generation judged by Math-Verify
"""

import tomllib
from pathlib import Path
from typing import Any

from openboard.domain import OpenboardError
from openboard.evaluation._suites import Aggregation, BenchmarkSpec, Scorer, Suite


class SuiteFileError(OpenboardError):
    pass


def load_suite_file(path: Path) -> Suite:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SuiteFileError(
            f"suite file {path} does not load: {exc}", "fix the TOML syntax"
        ) from exc
    hint = f"see the example at the top of {__name__.replace('.', '/')}.py or the README's 'Suites' section"
    try:
        include = Path(_text(data, "include_path")).expanduser()
        benchmarks = tuple(_benchmark(b) for b in data["benchmarks"])
        suite = Suite(
            name=_text(data, "name"),
            version=_text(data, "version"),
            task_source="include",
            include_path=include if include.is_absolute() else (path.parent / include).resolve(),
            benchmarks=benchmarks,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SuiteFileError(f"suite file {path} is invalid: {exc!r}", hint) from exc
    if not benchmarks or not all(b.tasks for b in benchmarks):
        raise SuiteFileError(f"suite file {path} has a benchmark without tasks", hint)
    return suite


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value:
        raise ValueError(f"{key} must be a non-empty string")
    return value


def _benchmark(data: dict[str, Any]) -> BenchmarkSpec:
    metrics = data["metrics"]
    tasks = data["tasks"]
    if not isinstance(metrics, list) or not metrics or not all(isinstance(m, str) for m in metrics):
        raise ValueError("metrics must be a list of metric names")
    if not isinstance(tasks, dict) or not all(
        isinstance(n, int) and n >= 0 for n in tasks.values()
    ):
        raise ValueError("tasks must map task names to a number of choices (0: generative)")
    return BenchmarkSpec(
        name=_text(data, "name"),
        display_name=str(data.get("display_name") or data["name"]),
        metrics=tuple(metrics),
        tasks={str(task): (n or None) for task, n in tasks.items()},
        higher_is_better=bool(data.get("higher_is_better", True)),
        aggregation=Aggregation(data.get("aggregation", Aggregation.SUBTASK_MEAN)),
        scorer=Scorer(data.get("scorer", Scorer.LM_EVAL)),
    )
