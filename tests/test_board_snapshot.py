"""The board snapshot's update in place of a rebuild: after random appends, changes and removals
the followed snapshot answers every view as a snapshot built afresh from the same rows does."""

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest

from openboard.domain import ModelType, Origin, Precision, WeightType, parse_search
from openboard.store import SORT_COLUMNS, BoardQuery
from openboard.store import _name_rows as name_rows_module
from openboard.store import _orders as orders_module
from openboard.store import _room as room_module
from openboard.store import _snapshot as snapshot_module
from openboard.store._board import FIGURE_SORTS
from openboard.store._columns import COLUMNS, Changes
from openboard.store._names import NameIndex, folding
from openboard.store._snapshot import BoardSnapshot

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

BENCHMARKS = ("b_one", "b_two", "b_three")
NAMES = ("meta/Llama-3-8B", "meta/llama-3-8b", "qwen/Qwen2.5-7B", "org/tiny", "x/ab",
         "mistral/Mistral-7B", "lab/a", "org/LLAMA-shout")  # fmt: skip
T0 = datetime(2026, 1, 1, tzinfo=UTC)
Row = tuple[dict[str, Any], list[tuple[int, str, float, float]]]


def _row(rng: random.Random, request_id: int) -> Row:
    """One board row and its scores: ties, missing values and absent benchmarks on purpose."""
    model = rng.choice(NAMES) if rng.random() < 0.7 else f"new/model-{rng.randint(1, 40)}"
    row = {
        "id": request_id, "model": model, "namespace": model.split("/")[0],
        "suite": rng.choice(("starter", "starter", "v2")),
        "model_type": rng.choice(list(ModelType)).value,
        "precision": rng.choice((Precision.BFLOAT16, Precision.FLOAT16)).value,
        "params": rng.choice((None, 7 * 10**9, 8 * 10**9, 70 * 10**9)),
        "merged": rng.random() < 0.3, "moe": rng.random() < 0.2,
        "available": rng.choice((None, True, False)), "license": rng.choice(("mit", "other")),
        "architectures": '["LlamaForCausalLM"]', "average": rng.choice((None, 10.0, 20.0, 35.5)),
        "submitted_time": T0 + timedelta(days=rng.randint(0, 5)),
        "origin": rng.choice(list(Origin)).value, "revision": rng.choice(("a" * 40, "b" * 40)),
        **{name: rng.choice((None, 0.5, 2.0, 1234.5)) for name in FIGURE_SORTS.values()},
        "weight_type": rng.choice(list(WeightType)).value, "use_chat_template": rng.random() < 0.5,
        "base_model": rng.choice((None, "meta/Llama-3-8B")), "eval_backend": rng.choice((None, "hf")),
        "eval_tokens": rng.choice((None, 0, 12345)), "eval_limit": rng.choice((None, 10)),
        "data_modified": rng.random() < 0.2, "unavailable_reason": rng.choice((None, "gone")),
    }  # fmt: skip
    scores = [
        (request_id, b, float(rng.randint(0, 4)), float(rng.randint(0, 4) * 10))
        for b in BENCHMARKS
        if rng.random() < 0.85
    ]
    return row, scores


def _columns(rows: list[Row]) -> dict[str, list[Any]]:
    return {name: [row[name] for row, _ in rows] for name in COLUMNS}


def _built(rows: dict[int, Row]) -> BoardSnapshot:
    ordered = [rows[i] for i in sorted(rows)]
    scores = [s for _, row_scores in ordered for s in row_scores]
    return BoardSnapshot.build((0, 0), NameIndex(folding("sqlite")), _columns(ordered), scores, {})


def _views(rng: random.Random, count: int) -> Iterator[BoardQuery]:
    for _ in range(count):
        yield BoardQuery(
            suite=rng.choice((None, "starter", "v2")), benchmarks=BENCHMARKS,
            search=tuple(parse_search(rng.choice(
                ("", "", "llama", "org/", "@license:mit", "model-1", "model-3;tiny", "-2")))),
            types=frozenset(rng.sample(list(ModelType), rng.randint(0, 2))),
            params_min_b=rng.choice((None, 7.5)), hide_merged=rng.random() < 0.3,
            hide_unavailable=rng.random() < 0.3,
            prefer=rng.choice((None, Origin.LOCAL, Origin.ARCHIVE)),
            sort=rng.choice((*SORT_COLUMNS, *BENCHMARKS)), descending=rng.random() < 0.5,
            raw=rng.random() < 0.5,
            average_over=rng.choice((None, BENCHMARKS[:2])),
            offset=rng.choice((0, 0, 3, 17)), limit=rng.choice((5, 50, 400)),
        )  # fmt: skip


@pytest.mark.parametrize(("seed", "lookup_share"), [(1, 8), (2, 0), (3, 0)])
def test_a_followed_snapshot_pages_as_a_fresh_build(
    seed: int, lookup_share: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Small chunks and merge thresholds, so that the walk crosses chunks holding new positions
    and the new positions are merged into the orders now and then. Kept masks fill their budget
    at once (evicted, and kept as positions), and with `lookup_share` 0 a name search marks its
    rows from the names' positions, however many it matched (the tail looked up)."""
    monkeypatch.setattr(orders_module, "CHUNK", 16)
    monkeypatch.setattr(snapshot_module, "CHUNK", 16)  # its copy: when a walk passes too many
    monkeypatch.setattr(snapshot_module, "_MERGE_MIN", 12)
    monkeypatch.setattr(room_module, "_ROOM", 1 << 20)  # the room fills: copies happen too
    monkeypatch.setattr(snapshot_module, "_KEPT_MASK_BYTES", 300)
    monkeypatch.setattr(name_rows_module, "_LOOKUP_SHARE", lookup_share)
    rng = random.Random(seed)
    rows = {i: _row(rng, i) for i in range(1, 120)}
    followed = _built(rows)
    next_id = 120
    for step in range(25):
        touched: set[int] = set()
        for _ in range(rng.randint(0, 6)):  # new results
            rows[next_id] = _row(rng, next_id)
            touched.add(next_id)
            next_id += 1
        for request_id in rng.sample(sorted(rows), rng.randint(0, 3)):  # changed or removed
            touched.add(request_id)
            if rng.random() < 0.5:
                del rows[request_id]
            else:
                rows[request_id] = _row(rng, request_id)
        read = [rows[i] for i in sorted(touched) if i in rows]
        changes = Changes(frozenset(touched), _columns(read), [s for _, r in read for s in r], None)
        followed = followed.changed((step + 1, 0), changes)
        fresh = _built(rows)
        assert followed.rows == len(rows)
        some = rng.sample(sorted(rows), 5)
        for query in _views(rng, 12):
            _assert_first_as_walked(followed, query, rng.sample(sorted(followed.orders), 3))
            # the rows and what the page shows of each (the display columns followed too)
            assert followed.shown_page(query) == fresh.shown_page(query), (step, query)
            pins = ("org/tiny", f"new/model-{rng.randint(1, 40)}")
            assert followed.shown_page(query, pins) == fresh.shown_page(query, pins), (step, pins)
            assert followed.medians(query) == fresh.medians(query), (step, query)
            assert followed.ranks(query, some) == fresh.ranks(query, some), (step, query)


def _assert_first_as_walked(snapshot: BoardSnapshot, query: BoardQuery, keys: list[str]) -> None:
    """A view of few rows takes them by their places in the order (`SortOrder.first`), a view of
    many walks the order: both give the same rows in the same order, in the kept orders `keys`
    (their new positions beside them too) and both directions."""
    mask = snapshot._mask(query, ())
    wanted = query.offset + query.limit
    for key in keys:
        order = snapshot.orders[key]
        for descending in (False, True):
            walked = snapshot._walk(order, mask, wanted, descending)[:wanted]
            first = order.first(np.flatnonzero(mask).astype(np.int32), wanted, descending)
            assert first.tolist() == walked.tolist(), (key, descending, query)


def test_two_snapshots_grown_from_one_keep_their_own_rows() -> None:
    """A snapshot's room is written after its rows only once: a second change of the same
    snapshot copies, and the first change's rows stay as they were."""
    rng = random.Random(7)
    rows = {i: _row(rng, i) for i in range(1, 30)}
    base = _built(rows)
    grown: list[tuple[BoardSnapshot, dict[int, Row]]] = []
    for n in range(2):
        extra = {100 + n: _row(rng, 100 + n)}
        read = list(extra.values())
        changes = Changes(frozenset(extra), _columns(read), [s for _, r in read for s in r], None)
        grown.append((base.changed((1, n), changes), rows | extra))
    view = BoardQuery(benchmarks=BENCHMARKS, sort="model", limit=100)
    for snapshot, its_rows in grown:
        assert snapshot.shown_page(view) == _built(its_rows).shown_page(view)
    assert base.shown_page(view) == _built(rows).shown_page(view)


def _assert_indexed(snapshot: BoardSnapshot) -> None:
    for key, order in snapshot.orders.items():
        ranked = np.concatenate((order.valued.sorted, order.missing.sorted))
        assert order.index[ranked].tolist() == list(range(len(ranked))), key
        assert np.count_nonzero(order.index >= 0) == len(ranked), key


def test_every_order_has_its_places_before_a_reader_asks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each order's places of its positions are made with its sorted arrays (in the build and
    in the follower's merges), not by the first view that sorts by it: at a million rows that
    cost a reader ~11 ms per sort column."""
    monkeypatch.setattr(snapshot_module, "_MERGE_MIN", 12)
    rng = random.Random(11)
    rows = {i: _row(rng, i) for i in range(1, 60)}
    snapshot = _built(rows)
    _assert_indexed(snapshot)
    merged = 0
    for step in range(12):
        extra = {1000 + 10 * step + n: _row(rng, 1000 + 10 * step + n) for n in range(5)}
        rows |= extra
        read = list(extra.values())
        changes = Changes(frozenset(extra), _columns(read), [s for _, r in read for s in r], None)
        grown = snapshot.changed((step + 1, 0), changes)
        merged += grown.orders["model"].added < snapshot.orders["model"].added
        snapshot = grown
        _assert_indexed(snapshot)
    assert merged, "no merge happened: the test would not see a merged order's places"
