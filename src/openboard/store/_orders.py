"""A sort order of the read model's positions: ascending by (value, id), the rows without a value
after them by id, each part with the positions added since it was sorted (merged into a walk, and
into the part once there are many). The descending order is the same walk backwards."""

import bisect
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["CHUNK", "OrderPart", "SortOrder"]

Positions = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
CHUNK = 1 << 15  # positions tested per step of a walk


@dataclass(frozen=True, slots=True)
class OrderPart:
    """One part of an order (the rows with a value, or those without): its sorted positions and
    the positions added since, sorted alike, each with its place (how many sorted ones precede
    it)."""

    sorted: Positions
    added: Positions = field(default_factory=lambda: np.zeros(0, np.int32))
    at: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))

    def __len__(self) -> int:
        return len(self.sorted) + len(self.added)

    def walk(self, descending: bool) -> Iterator[Positions]:
        n = len(self.sorted)
        starts = range(0, max(n, 1), CHUNK)
        for start in reversed(starts) if descending else starts:
            end = min(start + CHUNK, n)
            lo = int(np.searchsorted(self.at, start))
            hi = int(np.searchsorted(self.at, end)) if end < n else len(self.at)
            chunk = self.sorted[start:end]
            if hi > lo:
                chunk = np.insert(chunk, self.at[lo:hi] - start, self.added[lo:hi])
            yield chunk[::-1] if descending else chunk

    def with_added(self, spots: list[tuple[Any, int]], place: Callable[[int], Any]) -> "OrderPart":
        """`spots` (key, position), sorted by key, placed among the sorted and the added."""
        if not spots:
            return self
        key: Callable[[Any], Any] = lambda q: place(int(q))  # noqa: E731
        at = [bisect.bisect_left(self.sorted, spot, key=key) for spot, _ in spots]
        where = [bisect.bisect_left(self.added, spot, key=key) for spot, _ in spots]
        added = np.insert(self.added, where, [p for _, p in spots]).astype(np.int32)
        return OrderPart(self.sorted, added, np.insert(self.at, where, at).astype(np.int64))

    def ascending(self) -> Positions:
        """Every position of the part in its order (the added ones merged in)."""
        if not len(self.added):
            return self.sorted
        return np.insert(self.sorted, self.at, self.added).astype(np.int32)

    def merged(self) -> "OrderPart":
        return OrderPart(self.ascending())

    def places(self, positions: Positions, index: Positions, start: int) -> Floats:
        """Where each of `positions` goes in the part's ascending walk, as a number that sorts
        alike (NaN: not in this part): 2j for the j-th sorted one, between its neighbours for
        an added one (`np.insert` puts added[k] just before sorted[at[k]]). `index`: each
        position's place in the order's sorted arrays, from `start` for this part."""
        found = np.full(len(positions), np.nan)
        inside = positions < len(index)
        j = np.full(len(positions), -1, np.int64)
        j[inside] = index[positions[inside]]
        hit = (j >= start) & (j < start + len(self.sorted))
        found[hit] = 2.0 * (j[hit] - start)
        if len(self.added):
            by_position = np.argsort(self.added)
            k = by_position[np.minimum(np.searchsorted(self.added, positions, sorter=by_position),
                                       len(self.added) - 1)]  # fmt: skip
            added = self.added[k] == positions
            k = k[added]
            found[added] = 2.0 * self.at[k] - 1 + (k + 1) / (len(self.added) + 1)
        return found


@dataclass(frozen=True, slots=True)
class SortOrder:
    valued: OrderPart  # ascending by (value, id)
    missing: OrderPart  # the rows without a value, by id
    # each position's place in valued.sorted, then missing.sorted (-1: neither), shared by the
    # orders that only add to these sorted arrays. Made with the sorted arrays, off the request
    # path: at a million rows it costs ~11 ms (a scatter to random places), which a reader's
    # first view of each sort column paid.
    index: Positions = field(compare=False)

    @classmethod
    def of(cls, valued: OrderPart, missing: OrderPart) -> "SortOrder":
        ranked = np.concatenate((valued.sorted, missing.sorted))
        index = np.full(int(ranked.max(initial=-1)) + 1, -1, np.int32)
        index[ranked] = np.arange(len(ranked), dtype=np.int32)
        return cls(valued, missing, index)

    def first(self, positions: Positions, wanted: int, descending: bool) -> Positions:
        """The first `wanted` of `positions` (a view's rows) in the walk's order, from their
        places in the order: for a view of few rows, where a walk would pass most of the
        order by (a gather per position of the board) to find them."""
        index = self.index
        valued = self.valued.places(positions, index, 0)
        missing = self.missing.places(positions, index, len(self.valued.sorted))
        bound = 4.0 * (len(index) + len(self.valued) + len(self.missing) + 2)
        keys = np.where(np.isnan(valued), bound + missing * (-1 if descending else 1),
                        valued * (-1 if descending else 1))  # fmt: skip
        if wanted <= 0:
            return positions[:0].astype(np.int32)
        if len(keys) > wanted:
            near = np.argpartition(keys, wanted - 1)[:wanted]
            positions, keys = positions[near], keys[near]
        return positions[np.argsort(keys, kind="stable")].astype(np.int32)

    def walk(self, descending: bool) -> Iterator[Positions]:
        yield from self.valued.walk(descending)
        yield from self.missing.walk(descending)

    @property
    def added(self) -> int:
        return len(self.valued.added) + len(self.missing.added)

    def merged(self) -> "SortOrder":
        return SortOrder.of(self.valued.merged(), self.missing.merged())

    def arrays(self) -> list[npt.NDArray[Any]]:
        parts = (self.valued, self.missing)
        return [a for part in parts for a in (part.sorted, part.added, part.at)] + [self.index]
