"""The read model's column arrays with spare room at their end, shared by a run of snapshots."""

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["ColumnRoom"]

Floats = npt.NDArray[np.float64]
_ROOM = 16  # spare positions: 1/16 of the rows (a copy of the columns per that many new rows)


class ColumnRoom:
    """The columns' arrays with spare positions at their end, shared by a run of snapshots:
    each views its first positions and the next one writes after them (where no older one
    reads). Keys: ("column", name), ("raw" | "normalized" | "low" | "high", benchmark)."""

    def __init__(self, arrays: dict[tuple[str, str], npt.NDArray[Any]], length: int) -> None:
        self.arrays = arrays
        self.length = length  # positions written: the newest snapshot's

    @classmethod
    def of(cls, arrays: Mapping[tuple[str, str], npt.NDArray[Any]], length: int,
           count: int = 0) -> "ColumnRoom":  # fmt: skip
        """The first `length` positions of `arrays`, with room for `count` more and spare."""
        capacity = length + count + (length + count) // _ROOM + 64
        return cls({k: _grown(a[:length], capacity) for k, a in arrays.items()}, length + count)

    @property
    def capacity(self) -> int:
        return len(self.arrays["column", "id"])

    def appended(self, length: int, count: int) -> "ColumnRoom":
        """Room for `count` positions after `length`: here when nobody wrote there, else in a
        copy (the room is full, or another snapshot of the same version grew it first)."""
        if self.length == length and length + count <= self.capacity:
            self.length += count
            return self
        return ColumnRoom.of(self.arrays, length, count)

    def views(self, length: int, kinds: tuple[str, str]) -> dict[str, tuple[Floats, Floats]]:
        """Per benchmark, the pair of `kinds` (raw and normalized, or low and high)."""
        names = sorted(name for kind, name in self.arrays if kind == kinds[0])
        return {n: (self.arrays[kinds[0], n][:length], self.arrays[kinds[1], n][:length])
                for n in names}  # fmt: skip

    def view(self, length: int, kind: str) -> dict[str, Floats]:
        """Per benchmark, the values of one kind ("p": the contamination test's p-values)."""
        return {n: a[:length] for (k, n), a in sorted(self.arrays.items()) if k == kind}

    def write(self, rows: Sequence[tuple[Any, ...]], kinds: tuple[str, ...],
              positions: Mapping[int, int], start: int) -> None:  # fmt: skip
        """`rows` (request id, benchmark, a value per kind) at their requests' new positions
        (from `start`); a benchmark seen for the first time gets NaN everywhere before."""
        for request_id, name, *values in rows:
            at = positions.get(request_id, -1)
            if at < start:  # a score of a row read as off the board is no row's
                continue
            for kind, value in zip(kinds, values, strict=True):
                if (kind, name) not in self.arrays:
                    self.arrays[kind, name] = np.full(self.capacity, np.nan)
                self.arrays[kind, name][at] = value


def _grown(values: npt.NDArray[Any], capacity: int) -> npt.NDArray[Any]:
    grown = np.empty(max(capacity, len(values)), values.dtype)
    grown[: len(values)] = values
    return grown
