"""The board at one data version as columns (numpy), for filtering, sorting and counting in memory.

A snapshot is immutable: readers of one version never see another's rows. Every column holds one
entry per *position*; positions only grow. A change (a new result, a hidden one, a flag) makes the
next snapshot by marking the changed rows' old positions dead and appending their new state.
Its cost follows the change, not the board: the columns have spare room at their end (a snapshot
views its first positions; the next one writes after them, where no older snapshot reads), and
the new positions join each sort order as a short sorted list beside it, merged into the walk
of a page; past `_MERGE_AT` of them the follower thread merges them into the order (a copy,
never a sort).

Each sort order is kept as a permutation of positions, ascending by (value, id) with the rows
without a value last by id; the descending order is the same walk backwards within each part,
which is what SQL's `ORDER BY value DESC NULLS LAST, id DESC` gives. A page walks its order and
keeps the positions the view's mask lets through.

Its parts: the columns and their vocabularies (store/_columns.py), the sort orders
(store/_orders.py) and the arrays' spare room (store/_room.py).
"""

import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import numpy as np
import numpy.typing as npt

from openboard.domain import (
    AVERAGE,
    BenchmarkScore,
    ModelType,
    Origin,
    Precision,
    SearchDeadlineError,
    SearchGroup,
    WeightType,
)
from openboard.store._board import (
    FIGURE_SORTS,
    BoardCount,
    BoardQuery,
    BoardRow,
    RowMarks,
    ShownRequest,
)
from openboard.store._columns import (
    NO_COUNT,
    Changes,
    Dictionaries,
    Vocabulary,
    board_columns,
)
from openboard.store._name_rows import NameRows, one_of
from openboard.store._names import NameIndex
from openboard.store._orders import CHUNK, OrderPart, SortOrder
from openboard.store._ranking import ViewIntervals, interval_key, marks_of
from openboard.store._records import Flag
from openboard.store._room import ColumnRoom
from openboard.store._standing import median_in_order, ranks_of

__all__ = ["BoardSnapshot"]

Mask = npt.NDArray[np.bool_]
Positions = npt.NDArray[np.int32]
Floats = npt.NDArray[np.float64]
_RESORT_AT = 2_000  # more new rows than this at once: sort again rather than insert one by one
_EPOCH_UTC = datetime(1970, 1, 1, tzinfo=UTC)
# by value: a dict lookup, not an enum call (~20x as much, and a page makes three a row)
_TYPES = {t.value: t for t in ModelType}
_PRECISIONS = {p.value: p for p in Precision}
_WEIGHTS = {w.value: w for w in WeightType}
_MERGE_AT = 64  # new positions beside an order, past 1/64 of its rows: merge them into it
_MERGE_MIN = 2_000  # ... and past this many (a few beside a small board cost nothing)
_KEPT_MASK_BYTES = 64 << 20  # filter masks kept per snapshot (64 at a million rows)
_MASKS_LOCK = threading.Lock()  # readers of one snapshot share its kept masks

_BASIC_ORDERS = ("average", "model", "params", "submitted", "precision", "type", "id",
                 *FIGURE_SORTS)  # fmt: skip


@dataclass(frozen=True, slots=True)
class BoardSnapshot:
    version: tuple[int, ...]
    dictionaries: Dictionaries
    names_count: int  # codes below this are this version's
    columns: dict[str, npt.NDArray[Any]]
    scores: dict[str, tuple[Floats, Floats]]  # benchmark -> (raw, normalized) by position
    orders: dict[str, SortOrder]  # "average", ..., "id", and "<benchmark>:raw" / ":normalized"
    flags: Mapping[str, Flag]  # by model
    flagged: Mask  # by name code
    first_ids: npt.NDArray[np.int64]  # ids of the first positions, ascending (the full build)
    later: dict[int, int]  # id -> position, for rows appended since
    room: ColumnRoom  # the arrays that `columns`, `scores` and `intervals` view
    # filter masks, and ("nothing",): NaN at every position (a column no row has a value in)
    _masks: dict[tuple[Any, ...], npt.NDArray[Any]] = field(default_factory=dict)
    # benchmark (or "average") -> (low, high) by position: the 95% confidence intervals
    intervals: dict[str, tuple[Floats, Floats]] = field(default_factory=dict)
    official: frozenset[str] = frozenset()  # namespaces moderators made official
    # benchmark -> the contamination test's p-value by position (NaN: none); only benchmarks
    # some row on the board has one for
    p_values: dict[str, Floats] = field(default_factory=dict)
    # the positions by name, for a search (made with the orders, whose merges it follows)
    name_rows: NameRows = field(default_factory=lambda: NameRows.of(np.zeros(0, np.int32)))

    # building

    @classmethod
    def build(
        cls,
        version: tuple[int, ...],
        names: NameIndex,
        columns: Mapping[str, list[Any]],
        scores: list[tuple[int, str, float, float]],
        flags: Mapping[str, Flag],
        intervals: Sequence[tuple[int, str, float, float]] = (),
        official: frozenset[str] = frozenset(),
        p_values: Sequence[tuple[int, str, float]] = (),
    ) -> "BoardSnapshot":
        """The board from every row on it (`columns` in id order); `p_values`: (request id,
        benchmark, p) of the contamination test."""
        d = Dictionaries(names)
        arrays = board_columns(d, columns)
        names.build()
        ids = arrays["id"]
        n = len(ids)
        room = ColumnRoom.of(
            {("column", k): v for k, v in arrays.items() if k != "live"}
            | _pairs(_score_arrays(ids, scores), ("raw", "normalized"))
            | _pairs(_score_arrays(ids, list(intervals)), ("low", "high")),
            n,
        )
        room.write(p_values, ("p",), _positions(ids, [p[0] for p in p_values]), 0)
        snapshot = cls(
            version, d, len(names), _columns(room, n, arrays["live"]),
            room.views(n, ("raw", "normalized")), {}, flags, _flagged(names, flags), ids, {},
            room, intervals=room.views(n, ("low", "high")), official=official,
            p_values=room.view(n, "p"),
        )  # fmt: skip
        return snapshot._sorted()

    def _sorted(self) -> "BoardSnapshot":
        orders = {key: self._sort(key) for key in self._order_keys()}
        return _replace(self, orders=orders, name_rows=NameRows.of(self.columns["model"]))

    def _order_keys(self) -> list[str]:
        return [
            *_BASIC_ORDERS,
            *(f"{b}:{kind}" for b in self.scores for kind in ("raw", "normalized")),
        ]

    def _sort_values(self, key: str) -> tuple[npt.NDArray[Any], Mask]:
        """The value each position sorts by (ranks for text), and whether it has one."""
        c = self.columns
        everywhere = np.ones(len(c["id"]), bool)
        if key == "id":
            return c["id"], everywhere
        if key in FIGURE_SORTS:
            return c[key], ~np.isnan(c[key])
        if key in ("average", "submitted", "params"):
            values = c[key]
            known = (
                c["params_known"]
                if key == "params"
                else ~np.isnan(values)
                if key == "average"
                else everywhere
            )
            return values, known
        if key in ("model", "precision", "type"):
            texts, codes = {
                "model": (self.dictionaries.names.folded, c["model"]),
                "precision": (self.dictionaries.precisions.values, c["precision"]),
                "type": (self.dictionaries.types.values, c["model_type"]),
            }[key]
            # Equal texts (two names that fold alike) rank alike: their order is then by id.
            rank = {text: n for n, text in enumerate(sorted(set(texts)))}
            ranks = np.fromiter((rank[t] for t in texts), np.int64, len(texts))
            return ranks[codes], everywhere
        benchmark, kind = key.rsplit(":", 1)
        values = self.scores[benchmark][0 if kind == "raw" else 1]
        return values, ~np.isnan(values)

    def _sort(self, key: str) -> SortOrder:
        values, known = self._sort_values(key)
        ids = self.columns["id"]
        valued = np.flatnonzero(known)
        valued = valued[np.lexsort((ids[valued], values[valued]))]
        missing = np.flatnonzero(~known)
        missing = missing[np.argsort(ids[missing], kind="stable")]
        return SortOrder.of(OrderPart(valued.astype(np.int32)), OrderPart(missing.astype(np.int32)))

    def _sort_key(self, key: str) -> Callable[[int], tuple[Any, ...]]:
        """Position -> its place in the ascending order of `key`, as a Python tuple."""
        c, d = self.columns, self.dictionaries
        ids = c["id"]
        if key in ("model", "precision", "type"):
            texts, codes = {
                "model": (d.names.folded, c["model"]),
                "precision": (d.precisions.values, c["precision"]),
                "type": (d.types.values, c["model_type"]),
            }[key]
            return lambda p: (0, texts[int(codes[p])], int(ids[p]))
        if key == "params":
            known = c["params_known"]
            values = c["params"]
        else:
            benchmark, _, kind = key.rpartition(":")
            values = (
                c[key] if key in c else self.scores[benchmark][1 if kind == "normalized" else 0]
            )
            known = None

        def place(p: int) -> tuple[Any, ...]:
            value = values[p].item()
            if (known is not None and not known[p]) or value != value:  # NaN: no value
                return (1, 0, int(ids[p]))
            return (0, value, int(ids[p]))

        return place

    def changed(self, version: tuple[int, ...], changes: Changes) -> "BoardSnapshot":
        """The next snapshot: `changes.touched` rows dead, their new state appended (a cost
        that follows the change: see the module's docstring)."""
        start = len(self.columns["id"])
        gone = [p for p in (self.position(i) for i in changes.touched) if p is not None]
        d = self.dictionaries
        added = board_columns(d, changes.columns)
        count = len(added["id"])
        live = np.concatenate((self.columns["live"], added["live"]))
        live[gone] = False
        room = self.room.appended(start, count)
        for (kind, name), values in room.arrays.items():
            values[start : start + count] = added[name] if kind == "column" else np.nan
        later = dict(self.later)
        later.update((int(i), start + n) for n, i in enumerate(added["id"].tolist()))
        room.write(changes.scores, ("raw", "normalized"), later, start)
        room.write(changes.intervals, ("low", "high"), later, start)
        room.write(changes.p_values, ("p",), later, start)
        length = start + count
        flags = self.flags if changes.flagged is None else changes.flagged
        grown = _replace(
            self, version=version, names_count=len(d.names), columns=_columns(room, length, live),
            scores=room.views(length, ("raw", "normalized")), flags=flags,
            flagged=_flagged(d.names, flags), later=later, room=room,
            intervals=room.views(length, ("low", "high")), p_values=room.view(length, "p"),
            official=self.official if changes.official is None else changes.official,
        )  # fmt: skip
        if changes.flagged is None:  # the views' base masks follow (not the twins': a new row
            # can make an old one a twin)
            grown._masks.update(
                (key, _masked(np.concatenate((mask, grown._base_of(key, start))), gone))
                for key, mask in list(self._masks.items())
                if key[0] == "base"
            )
        if count > _RESORT_AT or set(grown.scores) != set(self.scores):
            return grown._sorted()
        new = range(start, length)
        orders = {k: grown._inserted(k, o, new) for k, o in self.orders.items()}
        name_rows = self.name_rows
        if any(o.added > max(_MERGE_MIN, length // _MERGE_AT) for o in orders.values()):
            orders = {k: o.merged() for k, o in orders.items()}
            name_rows = NameRows.of(grown.columns["model"])
        return _replace(grown, orders=orders, _masks=grown._masks, name_rows=name_rows)

    def _inserted(self, key: str, order: SortOrder, new: range) -> SortOrder:
        if not new:
            return order
        place = self._sort_key(key)
        spots = sorted((place(p), p) for p in new)
        return SortOrder(
            order.valued.with_added([s for s in spots if s[0][0] == 0], place),
            order.missing.with_added([s for s in spots if s[0][0] != 0], place),
            order.index,  # the same sorted arrays
        )

    def position(self, request_id: int) -> int | None:
        """The live position of a request, if it is on the board."""
        at = self.later.get(request_id)
        if at is None:
            found = int(np.searchsorted(self.first_ids, request_id))
            if found >= len(self.first_ids) or self.first_ids[found] != request_id:
                return None
            at = found
        return at if self.columns["live"][at] else None

    @property
    def rows(self) -> int:
        return int(np.count_nonzero(self.columns["live"]))

    @property
    def dead(self) -> int:
        return len(self.columns["live"]) - self.rows

    def nbytes(self) -> int:
        """The arrays held (the room's spare positions too)."""
        arrays = [*self.room.arrays.values(), self.columns["live"], self.flagged, self.first_ids,
                  *(a for o in self.orders.values() for a in o.arrays())]  # fmt: skip
        return sum(a.nbytes for a in arrays) + len(self.later) * 100

    # reading

    def page(
        self, query: BoardQuery, models: tuple[str, ...] = (), deadline_s: float = math.inf
    ) -> tuple[list[BoardRow], BoardCount]:
        """What `board_page` answers from SQL, from the columns (the count is exact). A search
        is linear in the names (RE2, one pass); one that took longer than `deadline_s` is
        answered as the SQL path answers it: SearchDeadlineError."""
        _, rows, count = self._paged(query, models, deadline_s)
        return rows, count

    def shown_page(
        self, query: BoardQuery, models: tuple[str, ...] = (), deadline_s: float = math.inf
    ) -> tuple[list[tuple[ShownRequest, BoardRow]], BoardCount]:
        """`page`, each row with what the board shows of its request (from the columns)."""
        picked, rows, count = self._paged(query, models, deadline_s)
        return list(zip(self._shown(picked), rows, strict=True)), count

    def _paged(
        self, query: BoardQuery, models: tuple[str, ...], deadline_s: float
    ) -> tuple[Positions, list[BoardRow], BoardCount]:
        began = time.perf_counter()
        selection = self._selection(query, models)
        if query.search and time.perf_counter() - began > deadline_s:
            raise SearchDeadlineError(deadline_s)
        n = len(self.columns["id"])
        as_mask = selection.dtype == np.bool_
        total = int(np.count_nonzero(selection)) if as_mask else len(selection)
        average = self._average(query)
        wanted = query.offset + query.limit
        if average is not None and query.sort == "average":
            everything = _positions_of(selection)
            picked = _top(everything, average, self.columns["id"], wanted, query.descending)
        elif wanted * n > CHUNK * total:  # a walk would pass more than a chunk by
            few = _positions_of(selection)
            picked = self._order_of(query).first(few, wanted, query.descending)
        else:
            mask = _expanded(selection, n)
            picked = self._walk(self._order_of(query), mask, wanted, query.descending)
        marks = self._marks(query, selection, picked)
        picked = picked[query.offset : wanted]
        shown = average if average is not None else self.columns["average"]
        ids, averages = self.columns["id"][picked].tolist(), shown[picked].tolist()
        rows = [
            BoardRow(i, None if a != a else a, scores, m)  # a != a: NaN, no average
            for i, a, scores, m in zip(ids, averages, self._scores(picked), marks, strict=True)
        ]
        return picked, rows, BoardCount(total, at_least=False)

    def _shown(self, picked: Positions) -> list[ShownRequest]:
        """What the board shows of the rows at `picked`: one gather per column (a position's
        values never change: a changed row gets a new one)."""
        c, d = self.columns, self.dictionaries

        def of(column: str) -> list[Any]:
            return c[column][picked].tolist()  # type: ignore[no-any-return]

        def decoded(vocabulary: Vocabulary, column: str) -> list[Any]:
            values = vocabulary.values
            return [values[k] for k in of(column)]

        names, twins = d.names.names, d.twins.values
        fields = (
            of("id"),
            [names[k] for k in of("model")],
            [_TYPES[v] for v in decoded(d.types, "model_type")],
            [_PRECISIONS[v] for v in decoded(d.precisions, "precision")],
            [_WEIGHTS[v] for v in decoded(d.weight_types, "weight_type")],
            [
                p if known else None
                for p, known in zip(of("params"), of("params_known"), strict=True)
            ],
            [d.architectures_of(k) for k in of("architectures")],
            decoded(d.licenses, "license"),
            of("merged"),
            of("moe"),
            [twins[k][1] for k in of("twin")],  # the twin key holds the commit
            [_EPOCH_UTC + timedelta(microseconds=t) for t in of("submitted")],
            of("chat_template"),
            decoded(d.base_models, "base_model"),
            _measured(of("co2")),
            decoded(d.backends, "backend"),
            _measured(of("wall_seconds")),
            _counted(of("eval_tokens")),
            _measured(of("tokens_per_s")),
            _measured(of("device_hours")),
            _measured(of("gpu_hours")),
            [None if a < 0 else a == 1 for a in of("available")],
            decoded(d.reasons, "unavailable_reason"),
            _counted(of("eval_limit")),
            of("data_modified"),
            [Origin.ARCHIVE if a else Origin.LOCAL for a in of("archive")],
        )
        return [ShownRequest(*row) for row in zip(*fields, strict=True)]

    def ranks(self, query: BoardQuery, request_ids: Sequence[int]) -> tuple[int, dict[int, int]]:
        """The view's row count and the requests' ranks in it (store/_standing.py)."""
        mask = self._mask(query, ())
        positions = {i: p for i in request_ids if (p := self.position(i)) is not None}
        return ranks_of(mask, self.columns["average"], self.columns["id"], positions)

    def medians(self, query: BoardQuery) -> dict[str, float]:
        """Each benchmark's median normalized score over the view's rows, from its kept order."""
        mask = self._mask(query, ())
        found: dict[str, float] = {}
        for name in query.benchmarks:
            order = self.orders.get(f"{name}:normalized")
            if name in self.scores and order is not None:
                valued = order.valued.ascending()
                median = median_in_order(mask, self.scores[name][1], valued)
                if median is not None:
                    found[name] = median
        return found

    def _marks(
        self, query: BoardQuery, selection: Mask | Positions, picked: Positions
    ) -> list[RowMarks | None]:
        """The page's confidence marks (store/_ranking.py); `picked` holds the rows before it;
        `selection`: the view's rows (a mask, or their positions)."""
        page = picked[query.offset : query.offset + query.limit].tolist()
        key = interval_key(query)
        if key is None:
            return [None] * len(page)
        points = self.columns["average"] if key == AVERAGE else self._none_or(self.scores, key)[1]
        if query.rank_ranges:  # the others' intervals count only within the view
            points = np.where(_expanded(selection, len(points)), points, np.nan)
        low, high = self._none_or(self.intervals, key)
        above = int(picked[query.offset - 1]) if 0 < query.offset <= len(picked) else None
        return marks_of(query, ViewIntervals(points, low, high), page, above)

    def _none_or(
        self, pairs: Mapping[str, tuple[Floats, Floats]], key: str
    ) -> tuple[Floats, Floats]:
        """`pairs[key]`, or no value anywhere (made once per snapshot: a million NaNs cost ~2 ms)."""
        if key in pairs:
            return pairs[key]
        nothing = self._masks.get(("nothing",))
        if nothing is None:
            nothing = self._masks[("nothing",)] = np.full(len(self.columns["id"]), np.nan)
        return nothing, nothing

    def _order_of(self, query: BoardQuery) -> SortOrder:
        if query.sort in query.benchmarks:
            return self.orders.get(
                f"{query.sort}:{'raw' if query.raw else 'normalized'}", self.orders["id"]
            )
        return self.orders[
            query.sort if query.sort in _BASIC_ORDERS and query.sort != "id" else "average"
        ]

    def _walk(self, order: SortOrder, mask: Mask, wanted: int, descending: bool) -> Positions:
        found: list[Positions] = []
        have = 0
        for chunk in order.walk(descending):
            kept = chunk[mask[chunk]]
            found.append(kept)
            have += len(kept)
            if have >= wanted:
                break
        return np.concatenate(found) if found else np.zeros(0, np.int32)

    def _average(self, query: BoardQuery) -> Floats | None:
        parts = [self.scores.get(b) for b in query.average_over or () if b in query.benchmarks]
        if not parts:
            return None
        nothing = np.full(len(self.columns["id"]), np.nan)
        values = [p[1] if p is not None else nothing for p in parts]
        total = values[0]
        for value in values[1:]:
            total = total + value
        return total / len(values)

    def smallest_p_values(self, request_ids: Sequence[int]) -> dict[int, tuple[str, float]]:
        """Each request's smallest contamination p-value and its benchmark, as
        `store._contamination.smallest_p_values` reads them (a tie: the first by name)."""
        found: dict[int, tuple[str, float]] = {}
        if not self.p_values:  # no test on the board yet: nothing to look up
            return found
        for request_id in request_ids:
            at = self.position(request_id)
            if at is None:
                continue
            for name, values in self.p_values.items():  # by name
                value = float(values[at])
                if not math.isnan(value) and (
                    request_id not in found or value < found[request_id][1]
                ):
                    found[request_id] = (name, value)
        return found

    def _scores(self, picked: Positions) -> list[dict[str, BenchmarkScore]]:
        """The rows' scores (one gather per benchmark, not one lookup per cell)."""
        found: list[dict[str, BenchmarkScore]] = [{} for _ in range(len(picked))]
        for name, (raw, normalized) in self.scores.items():
            pairs = zip(found, raw[picked].tolist(), normalized[picked].tolist(), strict=True)
            for row, r, n in pairs:
                if n == n:  # not NaN: the row has this score
                    row[name] = BenchmarkScore(name, raw=r, normalized=n)
        return found

    def _base(self, query: BoardQuery) -> Mask:
        """Live rows of the suite, without flagged models or unavailable commits as asked."""
        key = ("base", query.suite, query.hide_flagged, query.hide_unavailable)
        kept = self._masks.get(key)
        if kept is None:
            kept = self._masks[key] = self._base_of(key, 0)
        return kept

    def _base_of(self, key: tuple[Any, ...], start: int) -> Mask:
        """`_base` of the positions from `start` on."""
        _, suite, hide_flagged, hide_unavailable = key
        c = {name: values[start:] for name, values in self.columns.items()}
        kept = c["live"].copy()
        if suite is not None:
            kept &= c["suite"] == self.dictionaries.suites.find(suite)
        if hide_flagged:
            kept &= ~self.flagged[c["model"]]
        if hide_unavailable:
            kept &= c["available"] != 0
        return kept

    def _mask(self, query: BoardQuery, models: tuple[str, ...]) -> Mask:
        mask = self._base(query).copy()
        for key, make in self._filters(query):
            mask &= self._kept(key, make)
        if query.search:
            found = np.zeros(len(mask), bool)
            for key, make in self._groups(query):
                found |= self._kept(key, make)
            mask &= found
        if models:
            mask &= self.name_rows.mask(
                self._codes(models), self.names_count, self.columns["model"]
            )
        return mask

    def _selection(self, query: BoardQuery, models: tuple[str, ...]) -> Mask | Positions:
        """The view's rows: their mask, or their positions (ascending) when a search or pins
        allow few. Then the other filters test only those (most searches match a few thousand
        rows: at a million, every filter combined over all rows cost ~1 ms a view)."""
        narrowed = self._narrowed(query, models)
        if narrowed is None:
            return self._mask(query, models)
        keep = self._base(query)[narrowed]
        for key, make in self._filters(query):
            keep &= _held(self._kept_as_is(key, make), narrowed)
        return narrowed[keep]

    def _narrowed(self, query: BoardQuery, models: tuple[str, ...]) -> Positions | None:
        """The positions that the search and the pins allow, when each search group's kept
        mask is held as positions (it matched few rows); None: the mask it is."""
        parts: list[Positions] = []
        if query.search:
            kept = [self._kept_as_is(key, make) for key, make in self._groups(query)]
            if any(k.dtype == np.bool_ for k in kept):
                return None
            parts.append(_union(kept))
        if models:
            codes = self._codes(models)
            parts.append(self.name_rows.positions(codes, self.names_count, self.columns["model"]))
        if not parts:
            return None
        if len(parts) == 1:
            return parts[0]
        return np.intersect1d(parts[0], parts[1], assume_unique=True).astype(np.int32)

    def _filters(self, query: BoardQuery) -> list[tuple[tuple[Any, ...], Callable[[], Mask]]]:
        """The view's filters but its base, search and pins: each a kept mask's key and how
        to make it."""
        c, d = self.columns, self.dictionaries
        found: list[tuple[tuple[Any, ...], Callable[[], Mask]]] = []
        if query.types:
            allowed = tuple(sorted({t.value for t in query.types}))  # in any order, one mask
            found.append((("types", allowed), lambda: one_of(
                c["model_type"], d.types.table(lambda v: v in allowed))))  # fmt: skip
        if query.precisions:
            chosen = tuple(sorted({p.value for p in query.precisions}))
            found.append((("precisions", chosen), lambda: one_of(
                c["precision"], d.precisions.table(lambda v: v in chosen))))  # fmt: skip
        low, high = query.params_min_b, query.params_max_b
        if low is not None or high is not None:
            found.append((("params", low, high), lambda: self._sized(low, high)))
        if query.hide_merged:
            found.append((("not merged",), lambda: ~c["merged"]))
        if query.hide_moe:
            found.append((("not moe",), lambda: ~c["moe"]))
        if query.origin is not None:
            archive = query.origin is Origin.ARCHIVE
            found.append((("origin", archive), lambda: c["archive"] == archive))
        elif (prefer := query.prefer) is not None:
            found.append((("not twinned", prefer), lambda: ~self._twinned(prefer)))
        if query.official_only:
            official = query.official
            found.append((("official", official), lambda: one_of(
                c["namespace"], d.namespaces.table(lambda n: n in official))))  # fmt: skip
        return found

    def _groups(self, query: BoardQuery) -> list[tuple[tuple[Any, ...], Callable[[], Mask]]]:
        """The search's groups (a row matching any is found): a kept mask's key and maker each."""
        return [
            (
                ("group", g.name, g.name_is_regex, tuple(sorted(g.fields.items()))),
                partial(self._group, g),
            )
            for g in query.search
        ]

    def _codes(self, models: tuple[str, ...]) -> npt.NDArray[np.int32]:
        code_of = self.dictionaries.names.code_of
        return np.unique(np.array([code_of[m] for m in models if m in code_of], np.int32))

    def _kept(self, key: tuple[Any, ...], make: Callable[[], Mask]) -> Mask:
        return _expanded(self._kept_as_is(key, make), len(self.columns["id"]))

    def _kept_as_is(self, key: tuple[Any, ...], make: Callable[[], Mask]) -> npt.NDArray[Any]:
        """A filter's mask, made once per snapshot (a distinct view mostly combines filters
        asked before: at a million rows each costs ~1-8 ms to make, ~0.1 ms to combine). Those
        asked least recently go past `_KEPT_MASK_BYTES` (the base and twin masks stay: they are
        few). A mask of few rows is kept as their positions, as most searches' are: at a
        million rows ~130 masks were asked over and over, and 64 of them fit whole."""
        found = self._masks.get(key)
        if found is None:
            found = _compact(make())
            with _MASKS_LOCK:
                self._masks[key] = found
                self._evict()
            return found
        with _MASKS_LOCK:
            self._masks[key] = self._masks.pop(key, found)
        return found

    def _evict(self) -> None:
        kept = [k for k in self._masks if k[0] not in ("base", "twinned", "nothing")]
        held = sum(self._masks[k].nbytes for k in kept)
        for old in kept:
            if held <= _KEPT_MASK_BYTES:
                break
            held -= self._masks.pop(old).nbytes

    def _sized(self, low: float | None, high: float | None) -> Mask:
        c = self.columns
        mask = c["params_known"].copy()
        if low is not None:
            mask &= c["params"] >= _parameters(low)
        if high is not None:
            mask &= c["params"] <= _parameters(high)
        return mask

    def _twinned(self, prefer: Origin) -> Mask:
        """Rows of the other origin whose model, commit, precision and suite a live row of
        `prefer` evaluates too (store/_board.py `_has_twin`)."""
        key = ("twinned", prefer)
        found = self._masks.get(key)
        if found is None:
            c = self.columns
            preferred = c["archive"] == (prefer is Origin.ARCHIVE)
            table = np.zeros(len(self.dictionaries.twins.values), bool)
            table[c["twin"][c["live"] & preferred]] = True
            found = c["live"] & ~preferred & table[c["twin"]]
            self._masks[key] = found
        return found

    def _group(self, group: SearchGroup) -> Mask:
        c, d = self.columns, self.dictionaries
        fold = d.names.fold
        if group.name:
            codes = (
                d.names.match_pattern(group.name, group.required, self.names_count)
                if group.name_is_regex
                else d.names.match_text(group.name.lower(), self.names_count)
            )
            mask = self.name_rows.mask(codes, self.names_count, c["model"])
        else:
            mask = np.ones(len(c["id"]), bool)
        fields = {"architecture": (d.architectures, "architectures"), "license": (d.licenses, "license"),
                  "precision": (d.precisions, "precision"), "type": (d.types, "model_type")}  # fmt: skip
        for name, value in group.fields.items():
            vocabulary, column = fields[name]
            mask &= one_of(c[column], vocabulary.table(_holds(value.lower(), fold)))
        return mask


def _compact(mask: Mask) -> npt.NDArray[Any]:
    """The mask, or its true positions where they take less than a quarter of its bytes."""
    if int(np.count_nonzero(mask)) * 4 * 4 < len(mask):
        return np.flatnonzero(mask).astype(np.int32)
    return mask


def _held(kept: npt.NDArray[Any], positions: Positions) -> Mask:
    """Whether each of `positions` is in a kept mask (the mask, or its positions ascending)."""
    if kept.dtype == np.bool_:
        held: Mask = kept[positions]
        return held
    if not len(kept):
        return np.zeros(len(positions), bool)
    at = np.minimum(np.searchsorted(kept, positions), len(kept) - 1)
    return kept[at] == positions  # type: ignore[no-any-return]


def _union(parts: list[Positions]) -> Positions:
    """The positions in any of `parts` (each ascending), ascending, each once. A stable sort
    merges the ascending runs in linear time; np.unique hashed 120,000 positions in ~19 ms."""
    if len(parts) == 1:
        return parts[0]
    merged = np.sort(np.concatenate(parts), kind="stable")
    first: Positions = merged[np.concatenate((merged[:1] == merged[:1], merged[1:] != merged[:-1]))]
    return first


def _positions_of(selection: Mask | Positions) -> Positions:
    if selection.dtype == np.bool_:
        return np.flatnonzero(selection).astype(np.int32)
    return selection  # type: ignore[return-value]


def _expanded(kept: npt.NDArray[Any], length: int) -> Mask:
    if kept.dtype == np.bool_:
        return kept
    mask = np.zeros(length, bool)
    mask[kept] = True
    return mask


def _measured(values: list[float]) -> list[float | None]:
    return [None if v != v else v for v in values]  # NaN: not measured


def _counted(values: list[int]) -> list[int | None]:
    return [None if v == NO_COUNT else v for v in values]


def _holds(text: str, fold: Callable[[str], str]) -> Callable[[str | None], bool]:
    """Whether a field's value holds `text`, as the dialect's lower(...) LIKE '%text%' says."""
    return lambda value: value is not None and text in fold(value)


def _replace(snapshot: BoardSnapshot, **changes: Any) -> BoardSnapshot:
    fields = {name: getattr(snapshot, name) for name in BoardSnapshot.__dataclass_fields__}
    return BoardSnapshot(**(fields | {"_masks": {}} | changes))


def _parameters(billions: float) -> int:
    return int(max(-(2**62), min(2**62, billions * 1e9)))


def _columns(room: ColumnRoom, length: int, live: Mask) -> dict[str, npt.NDArray[Any]]:
    return {name: a[:length] for (kind, name), a in room.arrays.items() if kind == "column"} | {
        "live": live
    }


def _pairs(
    arrays: Mapping[str, tuple[Floats, Floats]], kinds: tuple[str, str]
) -> dict[tuple[str, str], npt.NDArray[Any]]:
    return {(kind, name): pair[n] for name, pair in arrays.items() for n, kind in enumerate(kinds)}


def _masked(mask: Mask, gone: list[int]) -> Mask:
    mask[gone] = False
    return mask


def _flagged(names: NameIndex, models: Mapping[str, Flag]) -> Mask:
    table = np.zeros(len(names), bool)
    table[[names.code_of[m] for m in models if m in names.code_of]] = True
    return table


def _positions(ids: npt.NDArray[np.int64], request_ids: Sequence[int]) -> dict[int, int]:
    """The positions of those of `request_ids` that `ids` (ascending) holds."""
    wanted = np.unique(np.asarray(request_ids, np.int64))
    at = np.minimum(np.searchsorted(ids, wanted), max(len(ids) - 1, 0))
    held = ids[at] == wanted if len(ids) else np.zeros(len(wanted), bool)
    return dict(zip(wanted[held].tolist(), at[held].tolist(), strict=True))


def _score_arrays(
    ids: npt.NDArray[np.int64], scores: list[tuple[int, str, float, float]]
) -> dict[str, tuple[Floats, Floats]]:
    """Per benchmark, `scores` (request id, benchmark, a, b) as two columns over `ids`."""
    n = len(ids)
    names = sorted({s[1] for s in scores})
    grown = {name: (np.full(n, np.nan), np.full(n, np.nan)) for name in names}
    if scores:
        request_ids = np.array([s[0] for s in scores], np.int64)
        positions = np.minimum(np.searchsorted(ids, request_ids), max(n - 1, 0))
        found = ids[positions] == request_ids if n else np.zeros(len(scores), bool)
        for name in names:
            picked = found & np.array([s[1] == name for s in scores], bool)
            at = positions[picked]
            grown[name][0][at] = [s[2] for s, p in zip(scores, picked, strict=True) if p]
            grown[name][1][at] = [s[3] for s, p in zip(scores, picked, strict=True) if p]
    return grown


def _top(positions: Positions, values: Floats, ids: npt.NDArray[np.int64], wanted: int,
         descending: bool) -> Positions:  # fmt: skip
    """The first `wanted` of `positions` by (value, id) in the direction, rows without a value
    last (by id in the direction): a partial sort, for orders kept nowhere."""
    keys = values[positions]
    known = ~np.isnan(keys)
    valued, missing = positions[known], positions[~known]
    sign = -1 if descending else 1
    keys = keys[known] * sign
    if len(valued) > 4 * wanted:
        bound = np.partition(keys, wanted - 1)[wanted - 1] if wanted else -np.inf
        near = keys <= bound
        valued, keys = valued[near], keys[near]
    valued = valued[np.lexsort((ids[valued] * sign, keys))][:wanted]
    missing = missing[np.argsort(ids[missing] * sign, kind="stable")][
        : max(0, wanted - len(valued))
    ]
    return np.concatenate((valued, missing)).astype(np.int32)
