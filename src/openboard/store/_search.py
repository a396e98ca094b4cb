"""The search box as SQL: OR groups of name substrings, regular expressions and field filters.

A name is matched by a case-insensitive LIKE, which reads every row. SQLite keeps an FTS5 trigram
index of model names (migration 0012), and the board counts a search's matches by reading the
index's candidates by id. Its page does too when few rows can match (a rare name) or its order
walks no index (a benchmark's score); when many can (`llama`), walking the board's own index in
order finds a page of matches sooner. PostgreSQL's planner makes that choice itself with its
pg_trgm index on lower(model).

A regular expression runs on RE2 on both databases, never on PostgreSQL's own (backtracking-prone,
and with its own dialect) engine: in SQLite per row (`openboard_regexp`, registered on every
connection); on PostgreSQL over the distinct names on the board that hold the pattern's required
text (read with its trigram index), in this process (`regex_names`), the rows then picked by name.
Either way a search's statements stop at a deadline.
"""

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    cast,
    column,
    false,
    func,
    select,
    table,
    true,
)
from sqlalchemy.exc import DBAPIError
from sqlalchemy.types import ARRAY

from openboard.domain import (
    DEFAULT_SEARCH_DEADLINE_S,
    SearchDeadlineError,
    SearchGroup,
    Status,
    pattern_search,
)
from openboard.store._engine import REGEXP_FUNCTION, SEARCH_DEADLINE
from openboard.store._names import regex_hits
from openboard.store._tables import requests

# A regular expression's matching model names, by pattern (PostgreSQL: see `regex_names`).
RegexNames = Mapping[str, Sequence[str]]

# Up to this many candidates the rows are read by id; above, walking the board's index to a page
# of matches wins (measured at 100,000 rows: a name with 4,000 rows took 33-47 ms walking, 15-20 ms
# by id; one with 21,000 took 24 ms walking and 54 ms by id).
NARROW_AT_MOST = 10_000
_TRIGRAM = 3  # shorter text has no trigram to look up
_PROGRESS_EVERY = 1000  # SQLite virtual-machine steps between two looks at the clock
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement_timeout
_SEARCH_END = "openboard_search_end"  # conn.info: when the search must have ended (monotonic)
_model_trigrams = table("requests_model_fts", column("rowid"), column("model"))


def _phrase(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'  # an FTS5 string: a substring, quotes doubled


def _indexed_text(group: SearchGroup) -> tuple[str, ...]:
    """The substrings of a group the trigram index can look up (every one must be in a match)."""
    texts = group.required if group.name_is_regex else (group.name,) if group.name else ()
    return tuple(t for t in texts if len(t) >= _TRIGRAM)


def trigram_searchable(dialect: str, groups: tuple[SearchGroup, ...]) -> bool:
    """Whether the trigram index can narrow this search (SQLite, and every OR group has text of
    three characters or more: otherwise every row is a candidate)."""
    return dialect == "sqlite" and bool(groups) and all(_indexed_text(g) for g in groups)


def few_candidates(conn: Connection, groups: tuple[SearchGroup, ...]) -> bool:
    """At most NARROW_AT_MOST rows hold the search's text (`trigram_searchable` searches only)."""
    texts = [_indexed_text(g) for g in groups]
    expression = " OR ".join("(" + " AND ".join(map(_phrase, t)) + ")" for t in texts)
    candidates = (
        select(_model_trigrams.c.rowid)
        .where(_model_trigrams.c.model.match(expression))
        .limit(NARROW_AT_MOST + 1)
    )
    count = conn.execute(select(func.count()).select_from(candidates.subquery())).scalar_one()
    return int(count) <= NARROW_AT_MOST


def _contains(text: str, narrowed: bool) -> ColumnElement[bool]:
    like = func.lower(requests.c.model).contains(text.lower(), autoescape=True)
    if not narrowed or len(text) < _TRIGRAM:
        return like
    # The index gives a superset (its case folding is wider than lower()); the LIKE decides.
    candidates = select(_model_trigrams.c.rowid).where(_model_trigrams.c.model.match(_phrase(text)))
    return and_(requests.c.id.in_(candidates), like)


def regex_names(conn: Connection, search: tuple[SearchGroup, ...]) -> RegexNames:
    """On PostgreSQL, each regular expression's matching names among the board's distinct names
    that hold its required text (RE2 over them here); on SQLite nothing (it runs RE2 per row)."""
    if conn.dialect.name != "postgresql":
        return {}
    found: dict[str, Sequence[str]] = {}
    for group in search:
        if not (group.name and group.name_is_regex) or group.name in found:
            continue
        candidates = (
            select(requests.c.model)
            .distinct()
            .where(
                requests.c.status == Status.FINISHED.value,
                requests.c.hidden == false(),
                *(_contains(text, narrowed=False) for text in group.required),
            )
        )
        names = [str(n) for n in conn.execute(candidates).scalars()]
        hits = regex_hits(group.name, names)
        found[group.name] = [n for n, hit in zip(names, hits, strict=True) if hit]
        _check_deadline(conn)
    return found


def _check_deadline(conn: Connection) -> None:
    """The search's time spent in this process counts against its deadline too."""
    end = conn.info.get(_SEARCH_END)
    if end is not None and time.monotonic() > end[0]:
        raise SearchDeadlineError(end[1])


def matches(
    group: SearchGroup, dialect: str, narrowed: bool, names: RegexNames
) -> ColumnElement[bool]:
    model = requests.c.model
    terms: list[ColumnElement[bool]] = []
    if group.name and group.name_is_regex and dialect == "postgresql":
        matched = list(names[group.name])
        terms.append(model == any_(bindparam(None, matched, type_=ARRAY(String))))
    elif group.name and group.name_is_regex:
        # Plain substrings first: SQLite tries a LIKE long before it calls RE2 per row.
        terms += [_contains(r, narrowed) for r in group.required]
        terms.append(getattr(func, REGEXP_FUNCTION)(group.name, model).is_(true()))
    elif group.name:
        terms.append(_contains(group.name, narrowed))
    columns = {
        "architecture": cast(requests.c.architectures, String),
        "license": requests.c.license,
        "precision": requests.c.precision,
        "type": requests.c.model_type,
    }
    for name, value in group.fields.items():
        terms.append(func.lower(columns[name]).contains(value.lower(), autoescape=True))
    return and_(true(), *terms)


@contextmanager
def search_deadline(conn: Connection, search: tuple[SearchGroup, ...]) -> Iterator[None]:
    """The statements run inside stop at the reader's deadline when there is a search
    (SearchDeadlineError): on SQLite the whole search, on PostgreSQL each statement."""
    seconds = float(conn.get_execution_options().get(SEARCH_DEADLINE, DEFAULT_SEARCH_DEADLINE_S))
    if not search:
        yield
        return
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {max(1, round(seconds * 1000))}")
        conn.info[_SEARCH_END] = (time.monotonic() + seconds, seconds)
        try:
            yield
        except DBAPIError as exc:
            state = getattr(exc.orig, "sqlstate", None)
            if state == _QUERY_CANCELED:
                raise SearchDeadlineError(seconds) from exc
            raise
        finally:
            conn.info.pop(_SEARCH_END, None)
        return
    sqlite = conn.connection.driver_connection
    assert sqlite is not None  # a connection checked out of the pool
    end = time.monotonic() + seconds
    sqlite.set_progress_handler(lambda: time.monotonic() > end, _PROGRESS_EVERY)
    # A search counts its rows, then reads its page: the second pass asks about the same names.
    sqlite.create_function(REGEXP_FUNCTION, 2, _remembering(), deterministic=True)
    try:
        yield
    except DBAPIError as exc:
        if "interrupted" in str(exc.orig):
            raise SearchDeadlineError(seconds) from exc
        raise
    finally:
        sqlite.set_progress_handler(None, 0)
        sqlite.create_function(REGEXP_FUNCTION, 2, pattern_search, deterministic=True)


def _remembering() -> Callable[[str, str | None], bool]:
    """`pattern_search` that answers again from memory for the rest of one search."""
    answers: dict[str, dict[str | None, bool]] = {}

    def search(pattern: str, text: str | None) -> bool:
        known = answers.setdefault(pattern, {})
        found = known.get(text)
        if found is None:
            found = known[text] = pattern_search(pattern, text)
        return found

    return search
