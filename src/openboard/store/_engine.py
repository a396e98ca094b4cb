from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

from openboard.domain import pattern_search

READ_ONLY = "openboard_read_only"
SEARCH_DEADLINE = "openboard_search_deadline"  # seconds (store._search.search_deadline)
DEFAULT_SEARCH_DEADLINE_S = 2.0
REGEXP_FUNCTION = "openboard_regexp"  # the search's regular expressions on SQLite


def create_store_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout so workers can share it."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": 30})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
        # pysqlite opens transactions lazily; let SQLAlchemy emit BEGIN itself so that writes
        # take the lock at the start of a transaction, not in the middle.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()
        # The search's regular expressions on RE2 (linear time), not Python's re (backtracking).
        dbapi_connection.create_function(REGEXP_FUNCTION, 2, pattern_search, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers take the lock up front; readers (WAL) never wait for it, nor for each other.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    return engine


def reader_of(engine: Engine, search_deadline_s: float = DEFAULT_SEARCH_DEADLINE_S) -> Engine:
    """The same engine for transactions that only read (no write lock on SQLite), whose searches
    stop after `search_deadline_s`."""
    return engine.execution_options(**{READ_ONLY: True, SEARCH_DEADLINE: search_deadline_s})
