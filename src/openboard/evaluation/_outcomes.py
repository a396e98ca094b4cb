"""A result's per-document outcomes, read from lm-eval's per-sample records as the suite scores
them, for the statistics (bootstrap intervals, paired comparisons); and kept beside the samples
as a small file, so that a comparison does not parse two samples files.

Each task's outcomes are one row per document and one column per metric of its benchmark. A
Math-Verify benchmark's column is the judge's verdict, not lm-eval's metric, as in `score_suite`.
"""

import io
import json
import math
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from openboard.domain import ScoreInterval, TaskScore
from openboard.evaluation._scoring import (
    Judge,
    ResultsFormatError,
    SuiteScores,
    TaskSamples,
    _answer_pair,
    _metric_key,
    _stderr_key,
)
from openboard.evaluation._suites import Aggregation, BenchmarkSpec, Scorer, Suite
from openboard.stats import (
    BenchmarkErrors,
    BenchmarkOutcomes,
    TaskError,
    TaskOutcomes,
    bootstrap_intervals,
    normal_intervals,
)

__all__ = [
    "OUTCOMES_FILE",
    "interval_record",
    "outcomes_from_samples",
    "read_outcomes",
    "result_intervals",
    "write_outcomes",
]

OUTCOMES_FILE = "outcomes.npz"
_OUTCOMES_SCHEMA = 1


def _value(record: Mapping[str, Any], name: str, task: str) -> tuple[float, float]:
    """(numerator, denominator) of one sample's metric: a list is one verdict per item."""
    value = record.get(name)
    if isinstance(value, list):
        items = [float(v) for v in value]
        return sum(items), float(len(items))
    if isinstance(value, bool | int | float) and math.isfinite(float(value)):
        return float(value), 1.0
    raise ResultsFormatError(
        f"a sample of task {task} (doc {record.get('doc_id')}) has no value for {name}",
        "the samples file must be the one lm-eval logged (log_samples); re-run the evaluation",
    )


def _task_outcomes(
    spec: BenchmarkSpec, task: str, records: Sequence[Mapping[str, Any]],
    verdicts: Sequence[bool] | None,
) -> TaskOutcomes:  # fmt: skip
    rows: dict[int, list[tuple[float, float] | None]] = {}
    columns = 1 if verdicts is not None else len(spec.metrics)
    for n, record in enumerate(records):
        doc = int(record.get("doc_id", -1))
        row = rows.setdefault(doc, [None] * columns)
        if verdicts is not None:
            row[0] = (1.0 if verdicts[n] else 0.0, 1.0)
            continue
        for j, metric in enumerate(spec.metrics):
            name, _, filter_name = _metric_key(metric).partition(",")
            if str(record.get("filter", "none")) == filter_name and name in record:
                row[j] = _value(record, name, task)
    missing = [doc for doc, row in rows.items() if any(cell is None for cell in row)]
    if missing or not rows:
        raise ResultsFormatError(
            f"the per-sample outputs of task {task} lack {', '.join(spec.metrics)} for "
            f"{len(missing) if rows else 'every'} document(s)",
            "re-run the evaluation (openboard admin rerun) to store its samples again",
        )
    docs = sorted(rows)
    cells = np.array([[cell for cell in rows[d]] for d in docs], np.float64)  # (docs, metrics, 2)
    return TaskOutcomes(task, spec.tasks[task], np.array(docs, np.int64),
                        np.ascontiguousarray(cells[:, :, 0]), np.ascontiguousarray(cells[:, :, 1]))  # fmt: skip


def outcomes_from_samples(
    suite: Suite, samples: TaskSamples, judge: Judge
) -> list[BenchmarkOutcomes]:
    """Every benchmark's outcomes from lm-eval's sample records (by task)."""
    judged = [t for b in suite.benchmarks if b.scorer is Scorer.MATH_VERIFY for t in b.tasks]
    pairs = [_answer_pair(t, r) for t in judged for r in samples.get(t) or []]
    verdicts = judge(pairs) if pairs else []
    spans: dict[str, Sequence[bool]] = {}
    at = 0
    for task in judged:
        count = len(samples.get(task) or [])
        spans[task], at = verdicts[at : at + count], at + count
    found = []
    for spec in suite.benchmarks:
        tasks = tuple(
            _task_outcomes(spec, task, samples.get(task) or [], spans.get(task))
            for task in spec.tasks
        )
        found.append(
            BenchmarkOutcomes(spec.name, spec.aggregation is Aggregation.SIZE_WEIGHTED, tasks)
        )
    return found


def _errors(suite: Suite, scores: SuiteScores, results: Mapping[str, Any]) -> list[BenchmarkErrors]:
    by_task: dict[str, TaskScore] = {t.task: t for t in scores.task_scores}
    normalized = {b.benchmark: b.normalized for b in scores.benchmark_scores}
    found = []
    for spec in suite.benchmarks:
        tasks = []
        for task in spec.tasks:
            score = by_task[task]
            tasks.append(TaskError(score.raw, _task_stderr(spec, score, results), score.num_choices,
                                   score.samples))  # fmt: skip
        found.append(BenchmarkErrors(spec.name, normalized[spec.name],
                                     spec.aggregation is Aggregation.SIZE_WEIGHTED, tuple(tasks)))  # fmt: skip
    return found


def _task_stderr(spec: BenchmarkSpec, score: TaskScore, results: Mapping[str, Any]) -> float | None:
    """lm-eval's stderr of the task's raw score. A mean of metrics (IFEval) takes the largest
    of their reported stderrs: lm-eval gives none for instruction-level accuracy, which averages
    more items than the prompt level, so the prompt level's errs wide, never narrow."""
    if score.stderr is not None or len(spec.metrics) == 1:
        return score.stderr
    metrics = results.get("results", {}).get(score.task) or {}
    reported = [metrics.get(_stderr_key(m)) for m in spec.metrics]
    numbers = [float(v) for v in reported if isinstance(v, int | float) and math.isfinite(v)]
    return max(numbers) if numbers else None


def result_intervals(
    suite: Suite, scores: SuiteScores, results: Mapping[str, Any],
    outcomes: Sequence[BenchmarkOutcomes] | None,
) -> list[ScoreInterval]:  # fmt: skip
    """The result's intervals: a bootstrap over its outcomes, or (None: it kept no per-sample
    outputs) the normal approximation from lm-eval's standard errors."""
    if outcomes is None:
        return normal_intervals(_errors(suite, scores, results))
    return bootstrap_intervals(outcomes)


def interval_record(interval: ScoreInterval) -> dict[str, Any]:
    """The reproducibility record's entry for one interval."""
    return {
        "benchmark": interval.benchmark, "estimate": interval.estimate, "low": interval.low,
        "high": interval.high, "method": str(interval.method), "resamples": interval.resamples,
        "documents": interval.documents, "reason": interval.reason,
    }  # fmt: skip


def write_outcomes(path: Path, outcomes: Sequence[BenchmarkOutcomes]) -> None:
    """Numbers only (no text of any question), so a GPQA task's file shows nothing of it."""
    arrays: dict[str, np.ndarray] = {}
    index: list[dict[str, Any]] = []
    for b in outcomes:
        for t in b.tasks:
            key = f"{len(index)}"
            arrays[f"{key}_docs"], arrays[f"{key}_num"], arrays[f"{key}_den"] = (
                t.doc_ids, t.numerators, t.denominators)  # fmt: skip
            index.append({"benchmark": b.name, "size_weighted": b.size_weighted, "task": t.task,
                          "num_choices": t.num_choices})  # fmt: skip
    header = json.dumps({"schema_version": _OUTCOMES_SCHEMA, "tasks": index})
    arrays["header"] = np.frombuffer(header.encode(), np.uint8)
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]
    temporary = path.with_suffix(".tmp")
    temporary.write_bytes(buffer.getvalue())
    temporary.replace(path)


def read_outcomes(path: Path) -> list[BenchmarkOutcomes] | None:
    """The outcomes `write_outcomes` kept; None when there is no such file (arrays only: no
    pickle is ever loaded)."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(bytes(data["header"]).decode())
            if header.get("schema_version") != _OUTCOMES_SCHEMA:
                return None
            benchmarks: dict[str, tuple[bool, list[TaskOutcomes]]] = {}
            for n, entry in enumerate(header["tasks"]):
                task = TaskOutcomes(entry["task"], entry["num_choices"], data[f"{n}_docs"],
                                    data[f"{n}_num"], data[f"{n}_den"])  # fmt: skip
                benchmarks.setdefault(entry["benchmark"], (entry["size_weighted"], []))[1].append(
                    task
                )
    except (OSError, ValueError, KeyError, json.JSONDecodeError, zipfile.BadZipFile) as exc:
        raise ResultsFormatError(
            f"{path} does not read: {exc}", "recompute it: openboard intervals --force"
        ) from exc
    return [
        BenchmarkOutcomes(name, weighted, tuple(tasks))
        for name, (weighted, tasks) in benchmarks.items()
    ]
