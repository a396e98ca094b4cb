"""The leaderboard table as one query: filters, search, sort and a page, all in the database."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.expression import nulls_last
from sqlalchemy.sql.selectable import NamedFromClause

from openboard.domain import (
    BenchmarkScore,
    ModelType,
    Origin,
    Precision,
    SearchGroup,
    Status,
    WeightType,
)
from openboard.store._records import EvalRequest
from openboard.store._search import (
    RegexNames,
    few_candidates,
    matches,
    regex_names,
    search_deadline,
    trigram_searchable,
)
from openboard.store._tables import benchmark_scores, flags, requests
from openboard.store._time import as_utc

# The sortable figures of the optional columns, each with the request column it is stored in;
# a row without one (an archive import, a CPU run's GPU-hours) sorts last either way.
FIGURE_SORTS = {
    "co2": "co2_kg", "wall_seconds": "eval_seconds", "tokens_per_s": "tokens_per_second",
    "device_hours": "device_hours", "gpu_hours": "gpu_hours",
}  # fmt: skip
SORT_COLUMNS = ("average", "model", "params", "submitted", "precision", "type", *FIGURE_SORTS)


@dataclass(frozen=True, slots=True)
class BoardQuery:
    """One view of the leaderboard; every field comes from the URL."""

    suite: str | None = None  # rows of this suite only (scores of different suites do not compare)
    benchmarks: tuple[str, ...] = ()  # the suite's benchmarks, in column order
    search: tuple[SearchGroup, ...] = ()
    types: frozenset[ModelType] = frozenset()  # empty: every type
    precisions: frozenset[Precision] = frozenset()
    params_min_b: float | None = None
    params_max_b: float | None = None
    hide_merged: bool = False
    hide_moe: bool = False
    hide_flagged: bool = True  # flagged by a moderator: off the board unless asked for
    hide_unavailable: bool = False  # commits the last availability check could not read
    official_only: bool = False
    official: frozenset[str] = frozenset()  # namespaces of official providers
    origin: Origin | None = None  # rows of this origin only; None: every row
    # With every row (origin None): where a local and an archive evaluation of the same model,
    # commit, precision and suite are both on the board, the row of this origin stands for them
    # (the other one is linked from its model page); None: both rows are shown.
    prefer: Origin | None = Origin.LOCAL
    sort: str = "average"  # a SORT_COLUMNS name or a benchmark name
    descending: bool = True
    raw: bool = False  # benchmark columns (and their sort) in raw scores
    average_over: tuple[str, ...] | None = None  # None: the stored average over every benchmark
    rank_ranges: bool = False  # each row's plausible ranks in the view (store/_ranking.py)
    offset: int = 0
    limit: int = 50


@dataclass(frozen=True, slots=True)
class RowMarks:
    """A row's 95% confidence interval of the score the view ranks by, and what follows from it."""

    interval: tuple[float, float] | None  # None: the result has none (see its model page)
    tied: bool  # its interval overlaps the row above's
    ranks: tuple[int, int] | None = None  # best and worst plausible rank, when asked for


@dataclass(frozen=True, slots=True)
class BoardRow:
    request_id: int
    average: float | None  # the stored average, or the one over `average_over`
    scores: dict[str, BenchmarkScore] = field(default_factory=dict)
    marks: RowMarks | None = None


class ShownRequest(NamedTuple):
    """What the board shows of one request (its table's cells, badges and the JSON twin's row
    fields), and nothing else: the read model makes these from its columns, without SQL; the SQL
    path from the whole `EvalRequest` (`of`). A named tuple: a page makes one per row, and a
    frozen dataclass costs ~4x as much to make."""

    id: int
    model: str
    model_type: ModelType
    precision: Precision
    weight_type: WeightType
    params: int | None
    architectures: tuple[str, ...]
    license: str | None
    merged: bool
    moe: bool
    revision: str
    submitted_time: datetime
    use_chat_template: bool
    base_model: str | None
    co2_kg: float | None
    eval_backend: str | None
    eval_seconds: float | None
    eval_tokens: int | None
    tokens_per_second: float | None
    device_hours: float | None
    gpu_hours: float | None
    available: bool | None
    unavailable_reason: str | None
    eval_limit: int | None
    data_modified: bool
    origin: Origin

    @property
    def namespace(self) -> str:
        return self.model.split("/", 1)[0]

    @classmethod
    def of(cls, request: EvalRequest) -> "ShownRequest":
        shown = {name: getattr(request, name) for name in cls._fields}
        return cls(**shown | {"architectures": tuple(request.architectures)})


def _parameters(billions: float) -> int:
    return int(max(-(2**62), min(2**62, billions * 1e9)))


def _filters(
    query: BoardQuery, dialect: str, names: RegexNames, narrowed: bool = False
) -> list[ColumnElement[bool]]:
    """`names`: `regex_names` of the search. `narrowed`: the search reads its candidates by id
    (`trigram_searchable`); the status is then compared as an expression, which keeps SQLite from
    walking an index that starts with it."""
    r = requests.c
    status = r.status.concat("") if narrowed else r.status
    where: list[ColumnElement[bool]] = [status == Status.FINISHED.value, r.hidden == false()]
    if query.suite is not None:
        where.append(r.suite == query.suite)
    if query.types:
        where.append(r.model_type.in_(sorted(t.value for t in query.types)))
    if query.precisions:
        where.append(r.precision.in_(sorted(p.value for p in query.precisions)))
    # Bound as integers: a float would make PostgreSQL cast the column and skip its index.
    if query.params_min_b is not None:
        where.append(r.params >= _parameters(query.params_min_b))
    if query.params_max_b is not None:
        where.append(r.params <= _parameters(query.params_max_b))
    if query.hide_merged:
        where.append(r.merged == false())
    if query.hide_moe:
        where.append(r.moe == false())
    if query.hide_flagged:
        where.append(r.model.not_in(select(flags.c.model)))
    if query.hide_unavailable:
        where.append(or_(r.available.is_(None), r.available == true()))
    if query.official_only:
        where.append(r.namespace.in_(sorted(query.official)) if query.official else false())
    if query.origin is not None:
        where.append(r.origin == query.origin.value)
    elif query.prefer is not None:
        where.append(~_has_twin(query.prefer))
    if query.search:
        where.append(or_(*(matches(g, dialect, narrowed, names) for g in query.search)))
    return where


def _has_twin(prefer: Origin) -> ColumnElement[bool]:
    """The row is of the other origin and a row of `prefer` evaluates the same model, commit,
    precision and suite on the board. The twin's status is compared as an expression so that
    SQLite looks it up by (origin, model) rather than walking the board's index for every row."""
    twin = requests.alias("twin")
    return and_(
        requests.c.origin != prefer.value,
        select(twin.c.id)
        .where(
            twin.c.origin == prefer.value, twin.c.model == requests.c.model,
            twin.c.revision == requests.c.revision, twin.c.precision == requests.c.precision,
            twin.c.suite == requests.c.suite, twin.c.status.concat("") == Status.FINISHED.value,
            twin.c.hidden == false(),
        )
        .exists(),
    )  # fmt: skip


def _scored(
    query: BoardQuery,
) -> tuple[FromClause, dict[str, NamedFromClause], ColumnElement[Any] | None]:
    """Requests joined to the benchmark scores the sort or the average needs, and that average
    (None: the stored one)."""
    joined: dict[str, NamedFromClause] = {}
    wanted = set(query.average_over or ()) | ({query.sort} & set(query.benchmarks))
    source: FromClause = requests
    for n, name in enumerate(b for b in query.benchmarks if b in wanted):
        alias = benchmark_scores.alias(f"s{n}")
        joined[name] = alias
        source = source.outerjoin(
            alias, and_(alias.c.request_id == requests.c.id, alias.c.benchmark == name)
        )
    average: ColumnElement[Any] | None = None
    if query.average_over:
        parts: list[ColumnElement[Any]] = [
            joined[b].c.normalized for b in query.average_over if b in joined
        ]
        if parts:
            total_score = parts[0]
            for part in parts[1:]:
                total_score = total_score + part
            average = total_score / len(parts)
    return source, joined, average


@dataclass(frozen=True, slots=True)
class BoardPoint:
    """One evaluation as a point of the plots."""

    request_id: int
    model: str
    model_type: ModelType
    params: int | None
    average: float
    submitted_time: datetime


def board_points(conn: Connection, query: BoardQuery) -> list[BoardPoint]:
    """Every evaluation the filters let through, with an average, oldest first (no page: the plots
    summarize them all)."""
    with search_deadline(conn, query.search):
        return _points(conn, query)


def _points(conn: Connection, query: BoardQuery) -> list[BoardPoint]:
    source, _, average = _scored(query)
    avg = average if average is not None else requests.c.average
    rows = conn.execute(
        select(requests.c.id, requests.c.model, requests.c.model_type, requests.c.params,
               requests.c.submitted_time, avg.label("avg"))
        .select_from(source)
        .where(*_filters(query, conn.dialect.name, regex_names(conn, query.search)),
               avg.isnot(None))
        .order_by(requests.c.submitted_time, requests.c.id)
    ).all()  # fmt: skip
    return [
        BoardPoint(int(r.id), r.model, ModelType(r.model_type), r.params, float(r.avg),
                   as_utc(r.submitted_time))
        for r in rows
    ]  # fmt: skip


@dataclass(frozen=True, slots=True)
class BoardCount:
    rows: int
    at_least: bool  # a search stopped counting at MAX_COUNTED: there are `rows` or more


MAX_COUNTED = 10_000  # a regular expression is a function call per row on SQLite: stop early


def board_page(
    conn: Connection, query: BoardQuery, models: tuple[str, ...] = ()
) -> tuple[list[BoardRow], BoardCount]:
    """One page of rows in order, and how many rows the filters let through (`models`: only these)."""
    with search_deadline(conn, query.search):
        return _page(conn, query, models)


def _page(
    conn: Connection, query: BoardQuery, models: tuple[str, ...]
) -> tuple[list[BoardRow], BoardCount]:
    dialect = conn.dialect.name
    names = regex_names(conn, query.search)
    # Counting reads the candidates by id whenever the trigram index can narrow the search; the
    # page too when they are few, or when its order walks no index anyway (a benchmark's score).
    searchable = trigram_searchable(dialect, query.search)
    walks = query.sort not in query.benchmarks and query.average_over is None
    page_narrowed = searchable and (not walks or few_candidates(conn, query.search))
    only = [requests.c.model.in_(models)] if models else []
    counted = select(requests.c.id).where(*_filters(query, dialect, names, searchable), *only)
    if query.search:
        counted = counted.limit(MAX_COUNTED + 1)
    total = int(conn.execute(select(func.count()).select_from(counted.subquery())).scalar_one())
    capped = bool(query.search) and total > MAX_COUNTED
    count = BoardCount(MAX_COUNTED if capped else total, at_least=capped)
    score = "raw" if query.raw else "normalized"
    source, joined, average = _scored(query)
    sort_by: ColumnElement[Any]
    if query.sort in joined:
        sort_by = joined[query.sort].c[score]
    elif query.sort == "average":
        sort_by = average if average is not None else requests.c.average
    else:
        sort_by = {
            "model": func.lower(requests.c.model),
            "params": requests.c.params,
            "submitted": requests.c.submitted_time,
            "precision": requests.c.precision,
            "type": requests.c.model_type,
            **{key: requests.c[name] for key, name in FIGURE_SORTS.items()},
        }.get(query.sort, requests.c.average)

    def directed(column: ColumnElement[Any]) -> ColumnElement[Any]:
        return column.desc() if query.descending else column.asc()

    # Ties broken by id in the same direction, so that the order is one index walk either way;
    # finished rows always have a stored average, so its order needs no NULLS LAST (which would
    # keep PostgreSQL from walking the index backwards).
    order = [
        directed(sort_by) if sort_by is requests.c.average else nulls_last(directed(sort_by)),
        directed(requests.c.id),
    ]
    page_query = (
        select(requests.c.id, (average if average is not None else requests.c.average).label("avg"))
        .select_from(source)
        .where(*_filters(query, dialect, names, page_narrowed), *only)
        .order_by(*order)
        .offset(query.offset)
        .limit(query.limit)
    )
    page = conn.execute(page_query).all()
    ids = [int(row.id) for row in page]
    scores: dict[int, dict[str, BenchmarkScore]] = {i: {} for i in ids}
    if ids:
        for row in conn.execute(
            select(benchmark_scores).where(benchmark_scores.c.request_id.in_(ids))
        ).mappings():
            scores[row["request_id"]][row["benchmark"]] = BenchmarkScore(
                benchmark=row["benchmark"], raw=row["raw"], normalized=row["normalized"]
            )
    rows = [BoardRow(int(row.id), row.avg, scores[int(row.id)]) for row in page]
    return rows, count
