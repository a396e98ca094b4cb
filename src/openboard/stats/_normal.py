"""Intervals from lm-eval's standard errors (results without per-sample outputs, such as imports):
a normal approximation, carried through the board's scoring by the usual error propagation."""

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

from openboard.domain import AVERAGE, IntervalMethod, ScoreInterval
from openboard.stats._bootstrap import CONFIDENCE, MIN_DOCUMENTS

__all__ = ["BenchmarkErrors", "TaskError", "normal_intervals"]


@dataclass(frozen=True, slots=True)
class TaskError:
    raw: float  # 0-1
    stderr: float | None  # of `raw`; None: lm-eval reported none
    num_choices: int | None
    documents: int


@dataclass(frozen=True, slots=True)
class BenchmarkErrors:
    name: str
    estimate: float  # the board's normalized score
    size_weighted: bool
    tasks: tuple[TaskError, ...]

    @property
    def documents(self) -> int:
        return sum(t.documents for t in self.tasks)


def _scale(num_choices: int | None) -> float:
    """d normalized / d raw above the baseline (the clamp below it is ignored: it only narrows)."""
    baseline = 1.0 / num_choices if num_choices else 0.0
    return 100.0 / (1.0 - baseline)


def _stderr(benchmark: BenchmarkErrors) -> float | None:
    """The normalized score's standard error, tasks taken as independent."""
    errors = [t.stderr for t in benchmark.tasks]
    if any(e is None or not math.isfinite(e) for e in errors):
        return None
    tasks = benchmark.tasks
    if benchmark.size_weighted:
        total = sum(t.documents for t in tasks)
        raw_se = math.sqrt(sum((t.documents * (t.stderr or 0.0)) ** 2 for t in tasks)) / total
        return raw_se * _scale(tasks[0].num_choices)
    parts = [((t.stderr or 0.0) * _scale(t.num_choices)) ** 2 for t in tasks]
    return math.sqrt(sum(parts)) / len(tasks)


def normal_intervals(benchmarks: Sequence[BenchmarkErrors]) -> list[ScoreInterval]:
    """Each benchmark's estimate ± z·se (clipped to 0-100), then the average's (benchmarks
    independent); none where a standard error is missing or the documents are too few."""
    z = NormalDist().inv_cdf(0.5 + CONFIDENCE / 2)
    found: list[ScoreInterval] = []
    errors: list[float] = []
    for b in benchmarks:
        se = _stderr(b)
        reason = None
        if b.documents == 0:  # lighteval's (v1) files: no n-samples section
            reason = "the results give no document counts (lm-eval's n-samples)"
        elif b.documents < MIN_DOCUMENTS:
            reason = f"only {b.documents} documents (an interval needs {MIN_DOCUMENTS})"
        elif se is None:
            reason = "lm-eval reported no standard error for a task of it"
        if reason is not None or se is None:
            found.append(ScoreInterval(b.name, b.estimate, None, None, IntervalMethod.NORMAL,
                                       None, b.documents, reason))  # fmt: skip
            continue
        errors.append(se)
        found.append(_clipped(b.name, b.estimate, z * se, b.documents))
    estimate = sum(b.estimate for b in benchmarks) / len(benchmarks)
    total = sum(b.documents for b in benchmarks)
    short = [i.benchmark for i in found if i.low is None]
    if short:
        found.append(ScoreInterval(AVERAGE, estimate, None, None, IntervalMethod.NORMAL, None,
                                   total, f"{', '.join(short)} had no interval"))  # fmt: skip
    else:
        se = math.sqrt(sum(e * e for e in errors)) / len(benchmarks)
        found.append(_clipped(AVERAGE, estimate, z * se, total))
    return found


def _clipped(name: str, estimate: float, half: float, documents: int) -> ScoreInterval:
    low, high = max(0.0, estimate - half), min(100.0, estimate + half)
    return ScoreInterval(name, estimate, min(low, estimate), max(high, estimate),
                         IntervalMethod.NORMAL, None, documents)  # fmt: skip
