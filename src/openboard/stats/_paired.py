"""Paired comparisons: two models scored on the same resampled documents, so that what the
documents share (an easy question is easy for both) cancels out of the difference."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from openboard.domain import AVERAGE
from openboard.stats._bootstrap import (
    RESAMPLES,
    SEED,
    BenchmarkOutcomes,
    StatisticsError,
    draw_indices,
    estimates,
    percentile_interval,
    replicates_of,
)

__all__ = ["NotPairedError", "PairedDifference", "paired_differences"]


class NotPairedError(StatisticsError):
    """The two results were not evaluated on the same documents."""


@dataclass(frozen=True, slots=True)
class PairedDifference:
    benchmark: str  # a benchmark's name, or AVERAGE
    difference: float  # A − B, normalized points
    low: float
    high: float
    a_leads: float  # share of resamples in which A scores higher
    p_value: float  # two-sided: twice the smaller share of resamples on one side of 0
    documents: int
    resamples: int

    @property
    def excludes_zero(self) -> bool:
        return self.low > 0 or self.high < 0


def _check_paired(a: Sequence[BenchmarkOutcomes], b: Sequence[BenchmarkOutcomes]) -> None:
    tasks_a = {t.task: t for x in a for t in x.tasks}
    tasks_b = {t.task: t for x in b for t in x.tasks}
    if set(tasks_a) != set(tasks_b):
        raise NotPairedError(
            "the two results hold different tasks",
            "compare results of the same suite version",
        )
    for name, task in tasks_a.items():
        if not np.array_equal(task.doc_ids, tasks_b[name].doc_ids):
            raise NotPairedError(
                f"task {name} was evaluated on different documents "
                f"({task.documents} and {tasks_b[name].documents})",
                "compare results evaluated without a `limit` and on the same data",
            )


def paired_differences(
    a: Sequence[BenchmarkOutcomes], b: Sequence[BenchmarkOutcomes],
    resamples: int = RESAMPLES, seed: int = SEED,
) -> list[PairedDifference]:  # fmt: skip
    """A − B per benchmark and for the average, with a paired bootstrap interval; raises
    NotPairedError when the document sets differ (the caller falls back to unpaired intervals)."""
    _check_paired(a, b)
    point_a, point_b = estimates(a), estimates(b)
    rng = np.random.default_rng(seed)
    chunks: list[dict[str, np.ndarray]] = []
    for indices in draw_indices(rng, a, resamples):
        ra, rb = replicates_of(a, indices), replicates_of(b, indices)
        chunks.append({name: ra[name] - rb[name] for name in ra})
    documents = {x.name: x.documents for x in a}
    documents[AVERAGE] = sum(documents.values())
    found = []
    for name in [*(x.name for x in a), AVERAGE]:
        spread = np.concatenate([c[name] for c in chunks])
        difference = point_a[name] - point_b[name]
        low, high = percentile_interval(spread, difference)
        below, above = float(np.mean(spread <= 0)), float(np.mean(spread >= 0))
        found.append(PairedDifference(
            name, difference, low, high, a_leads=float(np.mean(spread > 0)),
            p_value=min(1.0, 2 * min(below, above)), documents=documents[name],
            resamples=resamples,
        ))  # fmt: skip
    return found
