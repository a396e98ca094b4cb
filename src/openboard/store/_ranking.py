"""What the board says about each row's uncertainty, from the stored confidence intervals: its
interval, whether it is statistically tied with the row above, and (asked for) its rank range in
the view. The same numbers from the read model's columns and from SQL.

Under a sort by a score (the average or a benchmark), ties and ranges are of that score; under a
sort by anything else, ranges are of the average and no row is marked tied (its neighbours are
not ranked by a score). A row without an interval enters the others' ranges as its point.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy import ColumnElement, Connection, Select, and_, select
from sqlalchemy.sql import FromClause

from openboard.domain import AVERAGE
from openboard.stats import rank_ranges
from openboard.store._board import BoardQuery, BoardRow, RowMarks, board_page
from openboard.store._board import _filters as board_filters
from openboard.store._search import RegexNames, regex_names, search_deadline
from openboard.store._tables import benchmark_scores, requests, score_intervals

__all__ = ["ViewIntervals", "interval_key", "marks_of", "sql_marks"]

Floats = npt.NDArray[np.float64]


def interval_key(query: BoardQuery) -> str | None:
    """Whose intervals the view ranks by; None: none apply (raw scores, an average of a subset)."""
    if query.raw or query.average_over:
        return None
    return query.sort if query.sort in query.benchmarks else AVERAGE


def _ranked_by_score(query: BoardQuery) -> bool:
    return query.sort == "average" or query.sort in query.benchmarks


@dataclass(frozen=True, slots=True)
class ViewIntervals:
    """The view's rows (in any order), each with its point and interval (NaN: none)."""

    points: Floats
    lows: Floats
    highs: Floats


def marks_of(
    query: BoardQuery, view: ViewIntervals | None, page: Sequence[int], above: int | None
) -> list[RowMarks | None]:
    """Marks of the page's rows (indexes into `view`); `above`: the row just before the page.
    `view` None: the view has no intervals to speak of."""
    if view is None:
        return [None] * len(page)
    descending = query.descending or not _ranked_by_score(query)
    best = worst = None
    near = np.asarray([*page, *([] if above is None else [above])], np.int64)
    low_near, high_near = _bounds(view, near)
    if query.rank_ranges and page:
        everyone = _bounds(view, np.flatnonzero(~np.isnan(view.points)))
        ranges = rank_ranges(*everyone, low_near[: len(page)], high_near[: len(page)], descending)
        best, worst = ranges.best.tolist(), ranges.worst.tolist()
    # Only the page's rows and the one above are compared (a view can hold a million rows).
    low = dict(zip(near.tolist(), low_near.tolist(), strict=True))
    high = dict(zip(near.tolist(), high_near.tolist(), strict=True))
    found: list[RowMarks | None] = []
    previous = above
    for n, i in enumerate(page):
        if np.isnan(view.points[i]):
            found.append(None)
            previous = i
            continue
        tied = (
            _ranked_by_score(query)
            and previous is not None
            and not np.isnan(view.points[previous])
            and bool(low[previous] <= high[i] and low[i] <= high[previous])
        )
        interval = None if np.isnan(view.lows[i]) else (float(view.lows[i]), float(view.highs[i]))
        ranks = None if best is None or worst is None else (int(best[n]), int(worst[n]))
        found.append(RowMarks(interval=interval, tied=tied, ranks=ranks))
        previous = i
    return found


def _bounds(view: ViewIntervals, at: npt.NDArray[np.int64]) -> tuple[Floats, Floats]:
    """The rows' interval bounds, a row without an interval at its point."""
    points, lows, highs = view.points[at], view.lows[at], view.highs[at]
    return np.where(np.isnan(lows), points, lows), np.where(np.isnan(highs), points, highs)


def _view_query(query: BoardQuery, key: str, dialect: str, names: RegexNames) -> Select[Any]:
    point: ColumnElement[Any]
    source: FromClause = requests
    if key == AVERAGE:
        point = requests.c.average
    else:
        score = benchmark_scores.alias("ranked")
        source = source.outerjoin(
            score, and_(score.c.request_id == requests.c.id, score.c.benchmark == key)
        )
        point = score.c.normalized
    ci = score_intervals.alias("ci")
    source = source.outerjoin(ci, and_(ci.c.request_id == requests.c.id, ci.c.benchmark == key))
    return (
        select(requests.c.id, point.label("point"), ci.c.low, ci.c.high)
        .select_from(source)
        .where(*board_filters(query, dialect, names))
    )


def sql_marks(conn: Connection, query: BoardQuery, rows: list[BoardRow]) -> list[BoardRow]:
    """`rows` (a page `board_page` read) with their marks, read from SQL: the whole view's
    intervals when ranges are asked for, else the page's and the row just above it."""
    key = interval_key(query)
    if key is None or not rows:
        return rows
    above: int | None = None
    if query.offset > 0:
        before, _ = board_page(
            conn, replace(query, offset=query.offset - 1, limit=1, rank_ranges=False)
        )
        above = before[0].request_id if before else None
    with search_deadline(conn, query.search):  # the whole view's search, when ranges are asked for
        wanted = _view_query(query, key, conn.dialect.name, regex_names(conn, query.search))
        if not query.rank_ranges:
            ids = [r.request_id for r in rows] + ([above] if above is not None else [])
            wanted = wanted.where(requests.c.id.in_(ids))
        found = conn.execute(wanted).all()
    at = {int(r.id): n for n, r in enumerate(found)}
    view = ViewIntervals(
        np.array([np.nan if r.point is None else r.point for r in found], np.float64),
        np.array([np.nan if r.low is None else r.low for r in found], np.float64),
        np.array([np.nan if r.high is None else r.high for r in found], np.float64),
    )
    marks = marks_of(
        query, view, [at[r.request_id] for r in rows], None if above is None else at.get(above)
    )
    return [replace(row, marks=m) for row, m in zip(rows, marks, strict=True)]
