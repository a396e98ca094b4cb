"""Where evaluations stand on a view of the board: their rank in the board's average order (the
stored average, best first; equal averages newest id first, as the board's pages order them) and
each benchmark's median normalized score over the view's rows.

The same answer from the read model's columns (`ranks_of`, `median_in_order`) and from SQL
(`standing_in_sql`): the model page reads it the way the board reads its pages, so its rank is
the board's position."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Connection, and_, func, or_, select

from openboard.store._board import BoardQuery
from openboard.store._board import _filters as board_filters
from openboard.store._search import regex_names
from openboard.store._tables import benchmark_scores, requests

__all__ = ["BoardStanding", "median_in_order", "ranks_of", "standing_in_sql"]


@dataclass(frozen=True, slots=True)
class BoardStanding:
    total: int  # rows in the view
    ranks: dict[int, int]  # request id -> its 1-based rank; absent: the view leaves it out
    medians: dict[str, float]  # benchmark -> median normalized score of the rows that have one


def _rank(
    mask: npt.NDArray[np.bool_], averages: npt.NDArray[np.float64], ids: npt.NDArray[np.int64],
    at: int,
) -> int:  # fmt: skip
    """1 + the view's rows before position `at` in (average descending, id descending) order,
    rows without an average last."""
    average, own = averages[at], ids[at]
    valued = mask & ~np.isnan(averages)
    if np.isnan(average):
        above = np.count_nonzero(valued) + np.count_nonzero(mask & ~valued & (ids > own))
    else:
        above = np.count_nonzero(
            valued & ((averages > average) | ((averages == average) & (ids > own)))
        )
    return int(above) + 1


def ranks_of(
    mask: npt.NDArray[np.bool_],
    averages: npt.NDArray[np.float64],
    ids: npt.NDArray[np.int64],
    positions: Mapping[int, int],
) -> tuple[int, dict[int, int]]:
    """From columns by position (`mask`: the view's rows; `positions`: the asked requests'
    places): how many rows the view holds, and the rank of those of the asked it holds."""
    ranks = {
        request_id: _rank(mask, averages, ids, at)
        for request_id, at in positions.items()
        if mask[at]
    }
    return int(np.count_nonzero(mask)), ranks


def median_in_order(
    mask: npt.NDArray[np.bool_], values: npt.NDArray[np.float64], ascending: npt.NDArray[Any]
) -> float | None:
    """The median of `values` over the view's rows, from positions already sorted by value (the
    read model keeps that order): a walk, not a sort or a partition of a million values."""
    kept = ascending[mask[ascending]]
    if not len(kept):
        return None
    middle = len(kept) // 2
    if len(kept) % 2:
        return float(values[kept[middle]])
    return float((values[kept[middle - 1]] + values[kept[middle]]) / 2)


def standing_in_sql(
    conn: Connection, query: BoardQuery, request_ids: Sequence[int]
) -> BoardStanding:
    """The standing in the database: counts for the ranks, the view's scores for the medians."""
    where = board_filters(query, conn.dialect.name, regex_names(conn, query.search))
    r = requests.c
    total = int(conn.execute(select(func.count()).select_from(requests).where(*where)).scalar_one())
    ranks: dict[int, int] = {}
    asked = select(r.id, r.average).where(*where, r.id.in_(list(request_ids)))
    for row in conn.execute(asked).all() if request_ids else ():
        if row.average is None:
            before = or_(r.average.isnot(None), r.id > row.id)
        else:
            before = or_(r.average > row.average, and_(r.average == row.average, r.id > row.id))
        above = conn.execute(select(func.count()).select_from(requests).where(*where, before))
        ranks[int(row.id)] = int(above.scalar_one()) + 1
    return BoardStanding(total, ranks, _medians_in_sql(conn, query, where))


def _medians_in_sql(
    conn: Connection, query: BoardQuery, where: list[ColumnElement[bool]]
) -> dict[str, float]:
    """Each benchmark's median, found by the database: the one or two middle rows of its ordered
    scores (window functions, on SQLite and PostgreSQL alike), so that a page of the model does
    not read every score of the view into Python."""
    s = benchmark_scores.c
    ordered = (
        select(
            s.benchmark.label("benchmark"), s.normalized.label("normalized"),
            func.row_number().over(partition_by=s.benchmark, order_by=s.normalized).label("place"),
            func.count().over(partition_by=s.benchmark).label("counted"),
        )
        .select_from(benchmark_scores.join(requests, s.request_id == requests.c.id))
        .where(*where, s.benchmark.in_(query.benchmarks), s.normalized.isnot(None))
        .subquery()
    )  # fmt: skip
    o = ordered.c
    # Integer division on both databases: the middle row of an odd count, the two of an even one.
    middle = or_(o.place == (o.counted + 1) // 2, o.place == (o.counted + 2) // 2)
    found = conn.execute(
        select(o.benchmark, func.avg(o.normalized)).where(middle).group_by(o.benchmark)
    ).all()
    return {str(name): float(value) for name, value in found}
