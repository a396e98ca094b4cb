"""The public leaderboard's normalization, as pure functions (no I/O)."""

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from statistics import fmean, stdev
from typing import Any

from openboard.domain import BenchmarkScore, FailureKind, TaskScore
from openboard.evaluation._errors import EvaluationError
from openboard.evaluation._suites import Aggregation, BenchmarkSpec, Scorer, Suite


class ResultsFormatError(EvaluationError):
    """lm-eval's output lacks a metric openboard needs."""


class NonFiniteScoreError(ResultsFormatError):
    """A metric came back NaN, infinite or not a number at all."""

    kind = FailureKind.NON_FINITE_SCORE


def normalize(raw: float, num_choices: int | None) -> float:
    """Rescale a 0-1 score to 0-100 above the random baseline 1/n (0 for generative tasks); below it → 0."""
    baseline = 1.0 / num_choices if num_choices else 0.0
    if raw < baseline:
        return 0.0
    return (raw - baseline) / (1.0 - baseline) * 100.0


def benchmark_score(spec: BenchmarkSpec, tasks: list[TaskScore]) -> BenchmarkScore:
    """The benchmark's tasks combined as `spec.aggregation` says."""
    if spec.aggregation is Aggregation.SUBTASK_MEAN:
        return BenchmarkScore(
            benchmark=spec.name,
            raw=fmean(t.raw for t in tasks),
            normalized=fmean(t.normalized for t in tasks),
        )
    raw = size_weighted_mean(spec.name, [(t.raw, t.samples) for t in tasks])
    return BenchmarkScore(
        benchmark=spec.name, raw=raw, normalized=normalize(raw, tasks[0].num_choices)
    )


def size_weighted_mean(benchmark: str, values: list[tuple[float, int]]) -> float:
    """lm-eval's `weight_by_size` group value: sum(value x documents) / sum(documents), where a
    task's documents are those it evaluated (its `n-samples` `effective`, so `limit` counts)."""
    total = sum(n for _, n in values)
    if total <= 0:
        raise ResultsFormatError(
            f"benchmark {benchmark} is a mean weighted by subtask size, and its subtasks report no sample counts",
            "give lm-eval's results file with its `n-samples` section",
        )
    return sum(value * n for value, n in values) / total


def co2_kg(wall_seconds: float, power_kw: float, grid_g_per_kwh: float) -> float:
    """The public site's estimate: power x hours x grid intensity, in kg."""
    return power_kw * (wall_seconds / 3600) * grid_g_per_kwh / 1000


def average(scores: list[BenchmarkScore]) -> float:
    return fmean(s.normalized for s in scores)


def parse_task_scores(results: Mapping[str, Any], suite: Suite) -> list[TaskScore]:
    """Read lm-eval's `results` / `n-samples` once, at the edge, into typed scores for the suite's tasks."""
    per_task = results.get("results", {})
    samples = results.get("n-samples", {})
    scores: list[TaskScore] = []
    for benchmark in suite.benchmarks:
        for task, num_choices in benchmark.tasks.items():
            metrics = per_task.get(task) or {}
            values = []
            for metric in benchmark.metrics:
                key = _metric_key(metric)
                if key not in metrics:
                    raise ResultsFormatError(
                        f"lm-eval returned no {key} for task {task}",
                        "check that the task ran; the log has lm-eval's own error",
                    )
                values.append(_finite(metrics[key], task))
            raw = fmean(values)
            # A mean of several metrics has no single stderr; one metric keeps lm-eval's.
            stderr_value = (
                metrics.get(_stderr_key(benchmark.metrics[0])) if len(values) == 1 else None
            )
            stderr = float(stderr_value) if isinstance(stderr_value, int | float) else None
            scores.append(
                TaskScore(
                    benchmark=benchmark.name,
                    task=task,
                    metric="+".join(benchmark.metrics),
                    raw=raw,
                    stderr=stderr if stderr is not None and math.isfinite(stderr) else None,
                    num_choices=num_choices,
                    normalized=normalize(raw, num_choices),
                    samples=int(samples.get(task, {}).get("effective", 0)),
                )
            )
    return scores


def _metric_key(metric: str) -> str:
    """lm-eval's result key: `metric,filter`; a metric named without a filter used none."""
    return metric if "," in metric else f"{metric},none"


def _stderr_key(metric: str) -> str:
    name, _, filter_name = _metric_key(metric).partition(",")
    return f"{name}_stderr,{filter_name}"


def _finite(value: object, task: str) -> float:
    if not isinstance(value, int | float) or not math.isfinite(value):
        raise NonFiniteScoreError(
            f"task {task} scored {value!r}, not a finite number",
            "the model produced NaN or infinite log-likelihoods; submit it in the precision it was saved in",
        )
    return float(value)


@dataclass(frozen=True, slots=True)
class SuiteScores:
    """Everything a result stores about its scores, and the scorer that computed them."""

    task_scores: list[TaskScore]
    benchmark_scores: list[BenchmarkScore]
    average: float
    scorer: str


# lm-eval's per-sample records, by task: the generation and the document it answered.
TaskSamples = Mapping[str, Sequence[Mapping[str, Any]]]
Judge = Callable[[Sequence[tuple[str, str]]], list[bool]]
# A results file without per-sample outputs (an import) has MATH as lm-eval scored it.
WITHOUT_SAMPLES = " MATH by lm-eval: no samples"


def score_suite(
    results: Mapping[str, Any], suite: Suite, samples: TaskSamples | None, judge: Judge
) -> SuiteScores:
    """The one scoring path: a fresh evaluation, an import and a rescore all come through here.

    `samples` None: the result kept no per-sample outputs, so a benchmark that re-judges them
    keeps lm-eval's metric, and the scorer says so."""
    tasks = parse_task_scores(results, suite)
    scorer = suite.scorer
    if any(b.scorer is Scorer.MATH_VERIFY for b in suite.benchmarks):
        if samples is None:
            scorer += WITHOUT_SAMPLES
        else:
            tasks = rejudge(tasks, results, suite, samples, judge)
    benchmarks = [
        benchmark_score(b, [t for t in tasks if t.benchmark == b.name]) for b in suite.benchmarks
    ]
    return SuiteScores(tasks, benchmarks, average(benchmarks), scorer)


def rejudge(
    tasks: list[TaskScore], results: Mapping[str, Any], suite: Suite, samples: TaskSamples,
    judge: Judge,
) -> list[TaskScore]:  # fmt: skip
    """Math-Verify's verdicts in place of lm-eval's metric; lm-eval's values stay as extras."""
    judged = {t for b in suite.benchmarks if b.scorer is Scorer.MATH_VERIFY for t in b.tasks}
    pairs: list[tuple[str, str]] = []
    spans: dict[str, tuple[int, int]] = {}
    for task in sorted(judged):
        records = samples.get(task) or []
        if not records:
            raise ResultsFormatError(
                f"the per-sample outputs hold no sample of task {task}, which Math-Verify scores",
                "re-run the evaluation (openboard admin rerun) to store its samples again",
            )
        spans[task] = (len(pairs), len(pairs) + len(records))
        pairs += [_answer_pair(task, record) for record in records]
    verdicts = [1.0 if v else 0.0 for v in judge(pairs)]
    rejudged = []
    for score in tasks:
        if score.task not in judged:
            rejudged.append(score)
            continue
        start, end = spans[score.task]
        values = verdicts[start:end]
        raw = fmean(values)
        lm_eval = results.get("results", {}).get(score.task, {})
        extra = {key.split(",")[0]: float(value) for key, value in lm_eval.items()
                 if key.startswith("exact_match") and "_stderr" not in key
                 and isinstance(value, int | float)}  # fmt: skip
        rejudged.append(
            replace(
                score, metric="math_verify", raw=raw, normalized=normalize(raw, score.num_choices),
                stderr=stdev(values) / math.sqrt(len(values)) if len(values) > 1 else None,
                samples=len(values), extra=extra,
            )
        )  # fmt: skip
    return rejudged


def _answer_pair(task: str, record: Mapping[str, Any]) -> tuple[str, str]:
    """(reference solution, generation) of one lm-eval MATH sample record."""
    doc = record.get("doc")
    solution = doc.get("solution") if isinstance(doc, Mapping) else None
    responses = record.get("filtered_resps") or record.get("resps") or []
    generation = responses[0] if responses else None
    if isinstance(generation, list):  # `resps` nests one list per request
        generation = generation[0] if generation else None
    if not isinstance(solution, str) or not isinstance(generation, str):
        raise ResultsFormatError(
            f"a sample of task {task} (doc {record.get('doc_id')}) lacks its document's solution "
            "or the model's generation",
            "the samples file must be the one lm-eval logged (log_samples); re-run the evaluation",
        )
    return solution, generation
