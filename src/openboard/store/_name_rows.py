"""Where each model name's rows are in the board read model, and masks of a few codes.

A name search matches names (`NameIndex`), then marks their rows. Looking up every row's name in
a table of the matches is one gather per row: ~3.6 ms at a million rows, whatever the search
matched. Most searches match a few thousand rows, so `NameRows` keeps the positions grouped by
name code and marks only the matched names' rows (~0.05 ms for 3,000 of them). Positions never
change their name (a changed row gets a new position), so one grouping serves every later
snapshot: the positions appended since (`tail`) are looked up one by one.
"""

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["NameRows", "one_of"]

Mask = npt.NDArray[np.bool_]
Codes = npt.NDArray[np.int32]
Positions = npt.NDArray[np.int32]
_LOOKUP_SHARE = 8  # matching more than 1/8 of the names: one lookup per row costs less
_COMPARED_CODES = 4  # a comparison per code up to this many (~0.14 ms each at a million rows)


@dataclass(frozen=True, slots=True)
class NameRows:
    """The first `length` positions, grouped by name code."""

    length: int
    order: npt.NDArray[np.int32]  # positions by name code, ascending within a code
    starts: npt.NDArray[np.int64]  # order[starts[c]:starts[c + 1]]: the positions of code c

    @classmethod
    def of(cls, model: Codes) -> "NameRows":
        """`model`: each position's name code."""
        order = np.argsort(model, kind="stable").astype(np.int32)
        counts = np.bincount(model) if len(model) else np.zeros(0, np.int64)
        starts = np.zeros(len(counts) + 1, np.int64)
        np.cumsum(counts, out=starts[1:])
        return cls(len(model), order, starts)

    def tail(self, positions: int) -> int:
        """Of a snapshot of `positions`, those after the grouped ones."""
        return positions - self.length

    def mask(self, codes: Codes, names: int, model: Codes) -> Mask:
        """Whether each position's name is one of `codes` (sorted, each below `names`);
        `model`: each position's name code, the grouped ones and then the tail."""
        self._check(model)
        if len(codes) * _LOOKUP_SHARE > names or self.tail(len(model)) * _LOOKUP_SHARE > len(model):
            return _table(codes, names)[model]
        mask = np.zeros(len(model), bool)
        mask[self._grouped(codes)] = True
        if self.tail(len(model)):
            mask[self.length :] = _table(codes, names)[model[self.length :]]
        return mask

    def positions(self, codes: Codes, names: int, model: Codes) -> Positions:
        """The positions (ascending) whose name is one of `codes`, as `mask` takes them."""
        self._check(model)
        found = np.sort(self._grouped(codes))
        if not self.tail(len(model)):
            return found
        later = np.flatnonzero(_table(codes, names)[model[self.length :]]) + self.length
        return np.concatenate((found, later.astype(np.int32)))

    def _check(self, model: Codes) -> None:
        if len(model) < self.length:
            raise ValueError(f"{len(model)} positions, fewer than the {self.length} grouped")

    def _grouped(self, codes: Codes) -> Positions:
        """The grouped positions of `codes`, by code."""
        grouped = codes[: int(np.searchsorted(codes, len(self.starts) - 1))]
        low, high = self.starts[grouped], self.starts[grouped + 1]
        sizes = high - low
        # the places [low, high) of every code, in one array: each run's offset, plus a count
        before = np.cumsum(sizes) - sizes
        places = np.repeat(low - before, sizes) + np.arange(int(sizes.sum()), dtype=np.int64)
        return self.order[places]


def _table(codes: Codes, names: int) -> Mask:
    table = np.zeros(names, bool)
    table[codes] = True
    return table


def one_of(values: npt.NDArray[np.integer], table: Mask) -> Mask:
    """Whether each of `values` (codes of a vocabulary) is one that `table` takes: a comparison
    per code while they are few, else a lookup per value (~2-3.5 ms at a million rows)."""
    codes = np.flatnonzero(table)
    if len(codes) > _COMPARED_CODES:
        looked_up: Mask = table[values]
        return looked_up
    mask = np.zeros(len(values), bool)
    for code in codes.tolist():
        mask |= values == code
    return mask
