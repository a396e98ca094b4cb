"""The read model's masks made from positions (a name's rows, a few codes, a kept mask's true
positions) equal the masks made by looking every row up."""

import numpy as np
import pytest

from openboard.store import _snapshot as snapshot_module
from openboard.store._name_rows import NameRows, one_of

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


@pytest.mark.parametrize("seed", range(6))
def test_a_name_mask_from_positions_equals_a_lookup_per_row(seed: int) -> None:
    """Few codes and many, codes no grouped row has, and a tail of rows appended since the
    grouping, some with names given codes after it."""
    rng = np.random.default_rng(seed)
    names = int(rng.integers(1, 400))
    grouped = rng.integers(0, names, int(rng.integers(0, 3000))).astype(np.int32)
    later_names = names + int(rng.integers(0, 20))
    tail = rng.integers(0, later_names, int(rng.integers(0, 300))).astype(np.int32)
    model = np.concatenate((grouped, tail))
    rows = NameRows.of(grouped)
    for share in (0.0, 0.01, 0.1, 0.5, 1.0):
        codes = np.unique(rng.integers(0, later_names, int(share * later_names) + 1))
        codes = codes.astype(np.int32)
        table = np.zeros(later_names, bool)
        table[codes] = True
        assert rows.tail(len(model)) == len(tail)
        assert np.array_equal(rows.mask(codes, later_names, model), table[model]), share
        found = rows.positions(codes, later_names, model)
        assert found.tolist() == np.flatnonzero(table[model]).tolist(), share


def test_a_grouping_longer_than_the_snapshot_is_refused() -> None:
    rows = NameRows.of(np.array([0, 1, 1], np.int32))
    with pytest.raises(ValueError, match="fewer than the 3 grouped"):
        rows.mask(np.array([1], np.int32), 2, np.array([0, 1], np.int32))


@pytest.mark.parametrize("taken", [0, 1, 3, 4, 5, 9])
def test_one_of_a_few_codes_equals_a_lookup(taken: int) -> None:
    rng = np.random.default_rng(taken)
    values = rng.integers(0, 10, 500).astype(np.int8)
    table = np.zeros(10, bool)
    table[rng.choice(10, taken, replace=False)] = True
    assert np.array_equal(one_of(values, table), table[values])


@pytest.mark.parametrize("share", [0.0, 0.01, 0.2, 0.9])
def test_a_kept_mask_comes_back_as_it_was_made(share: float) -> None:
    """Whole, and asked at some positions (the rows a search narrowed to)."""
    mask = np.random.default_rng(1).random(10_000) < share
    kept = snapshot_module._compact(mask)
    assert kept.nbytes <= mask.nbytes
    assert np.array_equal(snapshot_module._expanded(kept, len(mask)), mask)
    asked = np.sort(np.random.default_rng(2).choice(len(mask), 300, replace=False)).astype(np.int32)
    assert np.array_equal(snapshot_module._held(kept, asked), mask[asked])


def test_the_union_of_a_search_groups_positions_holds_each_once_in_order() -> None:
    rng = np.random.default_rng(3)
    parts = [np.unique(rng.integers(0, 5000, k)).astype(np.int32) for k in (0, 40, 3000, 700)]
    for count in range(1, len(parts) + 1):
        expected = sorted(set().union(*(p.tolist() for p in parts[:count])))
        assert snapshot_module._union(parts[:count]).tolist() == expected
    nothing = np.zeros(0, np.int32)
    assert snapshot_module._union([nothing, nothing]).tolist() == []
