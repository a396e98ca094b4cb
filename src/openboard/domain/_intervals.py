from dataclasses import dataclass
from enum import StrEnum

# The row of a result's intervals that holds the average's (beside one per benchmark).
AVERAGE = "average"


class IntervalMethod(StrEnum):
    """How a score's 95% confidence interval was computed."""

    BOOTSTRAP = "bootstrap"  # resampling the documents of the stored per-sample outcomes
    NORMAL = "normal"  # lm-eval's standard errors, normal approximation (no per-sample outputs)


@dataclass(frozen=True, slots=True)
class ScoreInterval:
    """A normalized score (0-100) and its 95% confidence interval; `low`/`high` None: no interval,
    and `reason` says why (too few documents, no standard error)."""

    benchmark: str  # a benchmark's name, or AVERAGE
    estimate: float
    low: float | None
    high: float | None
    method: IntervalMethod
    resamples: int | None  # bootstrap only
    documents: int
    reason: str | None = None

    @property
    def half_width(self) -> float | None:
        """The ± shown beside a score: half the interval's width."""
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2
