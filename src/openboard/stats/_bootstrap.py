"""Bootstrap confidence intervals over documents, as pure functions (numpy; no I/O).

Each task's documents are resampled with replacement (a stratified bootstrap: every task keeps
its number of documents), and every resample is scored as the board scores: each task's raw score
is the mean of its metrics, each benchmark combines its tasks as its suite says (normalized
subtask mean, or the size-weighted raw mean normalized once), and the average is the plain mean
of the benchmarks' normalized scores. The interval is the resamples' 2.5th and 97.5th
percentiles. scipy's `stats.bootstrap` resamples one sample (or paired samples of one size); a
benchmark of tasks of different sizes, resampled apart, needs its own index draws.
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from openboard.domain import AVERAGE, IntervalMethod, OpenboardError, ScoreInterval

__all__ = [
    "CONFIDENCE",
    "MIN_DOCUMENTS",
    "RESAMPLES",
    "SEED",
    "BenchmarkOutcomes",
    "StatisticsError",
    "TaskOutcomes",
    "bootstrap_intervals",
    "draw_indices",
    "estimates",
    "normalize",
    "percentile_interval",
    "replicates",
    "replicates_of",
]

Floats = npt.NDArray[np.float64]
Indices = npt.NDArray[np.intp]

RESAMPLES = 1000
SEED = 20_240_626  # fixed: the same stored outcomes always give the same interval
CONFIDENCE = 0.95
# Below this many documents a benchmark's percentile interval is too coarse to mean anything.
MIN_DOCUMENTS = 30
_CELLS_PER_CHUNK = 1 << 22  # resampled cells held at once (memory: 8 bytes each, twice)


class StatisticsError(OpenboardError):
    """Outcomes that cannot be scored (no documents, shapes that disagree)."""


@dataclass(frozen=True, slots=True)
class TaskOutcomes:
    """One task's per-document outcomes. Column j of `numerators` / `denominators` is metric j:
    the metric's value is sum(numerators) / sum(denominators) over the documents (a per-document
    metric has denominator 1; IFEval's instruction level counts instructions followed over
    instructions, so a prompt's instructions stay with it when prompts are resampled)."""

    task: str
    num_choices: int | None
    doc_ids: npt.NDArray[np.int64]
    numerators: Floats  # (documents, metrics)
    denominators: Floats  # (documents, metrics)

    def __post_init__(self) -> None:
        n = len(self.doc_ids)
        if n == 0:
            raise StatisticsError(f"task {self.task} has no documents", "evaluate it first")
        if self.numerators.shape != self.denominators.shape or self.numerators.shape[0] != n:
            raise StatisticsError(
                f"task {self.task}: outcomes of {self.numerators.shape} and weights of "
                f"{self.denominators.shape} for {n} documents",
                "give one row per document and one column per metric",
            )
        if np.any(self.denominators.sum(axis=0) <= 0):
            raise StatisticsError(
                f"task {self.task} has a metric over no items", "check the samples"
            )

    @property
    def documents(self) -> int:
        return len(self.doc_ids)


@dataclass(frozen=True, slots=True)
class BenchmarkOutcomes:
    name: str
    size_weighted: bool  # GPQA, MATH: raw scores weighted by documents, then one normalization
    tasks: tuple[TaskOutcomes, ...]

    @property
    def documents(self) -> int:
        return sum(t.documents for t in self.tasks)


def normalize(raw: Floats, num_choices: int | None) -> Floats:
    """The board's normalization (0-100 above the random baseline, 0 below it), elementwise."""
    baseline = 1.0 / num_choices if num_choices else 0.0
    scaled = (raw - baseline) / (1.0 - baseline) * 100.0
    return np.where(raw < baseline, 0.0, scaled)


def _task_raw(task: TaskOutcomes, index: Indices | None) -> Floats:
    """The task's raw score per resample (`index`: rows of document positions; None: as is)."""
    if index is None:
        num, den = task.numerators.sum(axis=0)[None], task.denominators.sum(axis=0)[None]
    else:
        num, den = task.numerators[index].sum(axis=1), task.denominators[index].sum(axis=1)
    result: Floats = (num / den).mean(axis=1)
    return result


def _benchmark(benchmark: BenchmarkOutcomes, raws: Sequence[Floats]) -> Floats:
    if benchmark.size_weighted:
        sizes = [t.documents for t in benchmark.tasks]
        raw = sum(r * n for r, n in zip(raws, sizes, strict=True)) / sum(sizes)
        return normalize(np.asarray(raw), benchmark.tasks[0].num_choices)
    parts = [normalize(r, t.num_choices) for r, t in zip(raws, benchmark.tasks, strict=True)]
    result: Floats = np.mean(parts, axis=0)
    return result


def estimates(benchmarks: Sequence[BenchmarkOutcomes]) -> dict[str, float]:
    """The point estimates, scored from the outcomes as they are (benchmarks and AVERAGE)."""
    found = {b.name: float(_benchmark(b, [_task_raw(t, None) for t in b.tasks])[0])
             for b in benchmarks}  # fmt: skip
    found[AVERAGE] = float(np.mean(list(found.values())))
    return found


def draw_indices(
    rng: np.random.Generator, benchmarks: Sequence[BenchmarkOutcomes], resamples: int
) -> Iterator[dict[str, Indices]]:
    """Per chunk of resamples, each task's document positions: (chunk, documents) each. Shared by
    a paired comparison, so that both models are scored on the same resampled documents."""
    cells = max(1, sum(b.documents for b in benchmarks))
    chunk = max(1, min(resamples, _CELLS_PER_CHUNK // cells))
    tasks = [t for b in benchmarks for t in b.tasks]
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        yield {t.task: rng.integers(0, t.documents, (size, t.documents)) for t in tasks}


def replicates_of(
    benchmarks: Sequence[BenchmarkOutcomes], indices: dict[str, Indices]
) -> dict[str, Floats]:
    """Each benchmark's and the average's normalized score under one chunk of resamples."""
    found = {b.name: _benchmark(b, [_task_raw(t, indices[t.task]) for t in b.tasks])
             for b in benchmarks}  # fmt: skip
    found[AVERAGE] = np.mean(list(found.values()), axis=0)
    return found


def replicates(
    benchmarks: Sequence[BenchmarkOutcomes], resamples: int = RESAMPLES, seed: int = SEED
) -> dict[str, Floats]:
    """Each benchmark's and the average's normalized score in each of `resamples` resamples."""
    rng = np.random.default_rng(seed)
    found = {b.name: _benchmark(b, [_counted_raw(rng, t, resamples) for t in b.tasks])
             for b in benchmarks}  # fmt: skip
    found[AVERAGE] = np.mean(list(found.values()), axis=0)
    return found


def _counted_raw(rng: np.random.Generator, task: TaskOutcomes, resamples: int) -> Floats:
    """The task's raw score per resample, drawn as multinomial counts of its distinct outcome
    rows: documents with the same outcomes are interchangeable in every score, so this is the
    distribution of resampling the documents, at a cost of the distinct rows (a handful: right
    or wrong; IFEval's instructions followed of so many) instead of every document. A paired
    comparison draws documents (`draw_indices`): its two models' rows differ per document."""
    metrics = task.numerators.shape[1]
    distinct, counts = np.unique(
        np.concatenate([task.numerators, task.denominators], axis=1), axis=0, return_counts=True
    )
    drawn = rng.multinomial(task.documents, counts / task.documents, size=resamples)
    num, den = drawn @ distinct[:, :metrics], drawn @ distinct[:, metrics:]
    result: Floats = (num / den).mean(axis=1)
    return result


def percentile_interval(values: Floats, estimate: float) -> tuple[float, float]:
    """The central CONFIDENCE share of `values`, widened to hold `estimate`: the board's
    clamp at the random baseline can push every resample above the point (Jensen), and an
    interval that excludes the score it is printed beside would say something false."""
    tail = (1 - CONFIDENCE) / 2 * 100
    low, high = np.percentile(values, [tail, 100 - tail])
    return min(float(low), estimate), max(float(high), estimate)


def bootstrap_intervals(
    benchmarks: Sequence[BenchmarkOutcomes], resamples: int = RESAMPLES, seed: int = SEED
) -> list[ScoreInterval]:
    """Every benchmark's interval, then the average's. A benchmark of fewer than MIN_DOCUMENTS
    documents gets none (and says why); the average then gets none either."""
    if not benchmarks:
        raise StatisticsError("no benchmark outcomes to bootstrap", "give the suite's benchmarks")
    points = estimates(benchmarks)
    spread = replicates(benchmarks, resamples, seed)
    found: list[ScoreInterval] = []
    for b in benchmarks:
        found.append(_interval(b.name, points[b.name], spread[b.name], b.documents, resamples))
    total = sum(b.documents for b in benchmarks)
    short = [i.benchmark for i in found if i.low is None]
    if short:
        found.append(ScoreInterval(
            AVERAGE, points[AVERAGE], None, None, IntervalMethod.BOOTSTRAP, resamples, total,
            reason=f"{', '.join(short)} had fewer than {MIN_DOCUMENTS} documents",
        ))  # fmt: skip
    else:
        found.append(_interval(AVERAGE, points[AVERAGE], spread[AVERAGE], total, resamples))
    return found


def _interval(
    name: str, estimate: float, values: Floats, documents: int, resamples: int
) -> ScoreInterval:
    if documents < MIN_DOCUMENTS:
        return ScoreInterval(
            name, estimate, None, None, IntervalMethod.BOOTSTRAP, resamples, documents,
            reason=f"only {documents} documents (an interval needs {MIN_DOCUMENTS})",
        )  # fmt: skip
    low, high = percentile_interval(values, estimate)
    return ScoreInterval(name, estimate, low, high, IntervalMethod.BOOTSTRAP, resamples, documents)
