"""Rank ranges: the ranks a row could plausibly hold, given every row's confidence interval.

A row's best rank is 1 + the number of rows whose interval lies wholly above its own (those are
better beyond doubt); its worst rank is the number of rows whose interval does not lie wholly
below its own (itself included). Rows whose intervals touch are not ordered by the rule. "Above"
follows the view's direction: with an ascending sort, a lower score ranks first.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["RankRanges", "rank_ranges"]

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True)
class RankRanges:
    best: Ints
    worst: Ints


def rank_ranges(
    low: Floats, high: Floats, of_low: Floats, of_high: Floats, descending: bool = True
) -> RankRanges:
    """Ranks, within the view whose intervals are `low`/`high` (every row of it), of the rows
    whose intervals are `of_low`/`of_high`. A row without an interval enters as its point
    (low == high == its score)."""
    if not descending:  # ranking ascending is ranking the negated scores descending
        low, high, of_low, of_high = -high, -low, -of_high, -of_low
    lows, highs = np.sort(low), np.sort(high)
    above = len(lows) - np.searchsorted(lows, of_high, side="right")  # low_j > high_i
    below = np.searchsorted(highs, of_low, side="left")  # high_j < low_i
    return RankRanges(
        best=(1 + above).astype(np.int64), worst=(len(highs) - below).astype(np.int64)
    )
