"""The search box as SQL: OR groups of name substrings, regular expressions and field filters.

A name is matched by a case-insensitive LIKE, which reads every row. SQLite keeps an FTS5 trigram
index of model names (migration 0012), and the board counts a search's matches by reading the
index's candidates by id. Its page does too when few rows can match (a rare name) or its order
walks no index (a benchmark's score); when many can (`llama`), walking the board's own index in
order finds a page of matches sooner. PostgreSQL's planner makes that choice itself with its
pg_trgm index on lower(model).
"""

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    cast,
    column,
    func,
    select,
    table,
    true,
)

from openboard.domain import SearchGroup
from openboard.store._tables import requests

# Up to this many candidates the rows are read by id; above, walking the board's index to a page
# of matches wins (measured at 100,000 rows: a name with 4,000 rows took 33-47 ms walking, 15-20 ms
# by id; one with 21,000 took 24 ms walking and 54 ms by id).
NARROW_AT_MOST = 10_000
_TRIGRAM = 3  # shorter text has no trigram to look up
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


def matches(group: SearchGroup, dialect: str, narrowed: bool) -> ColumnElement[bool]:
    model = requests.c.model
    terms: list[ColumnElement[bool]] = []
    if group.name and group.name_is_regex:
        # Plain substrings first: SQLite tries a LIKE long before it calls Python's re per row.
        terms += [_contains(r, narrowed) for r in group.required]
        terms.append(
            model.regexp_match(group.name, flags="i")
            if dialect == "postgresql"
            else model.regexp_match(f"(?i){group.name}")
        )
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
