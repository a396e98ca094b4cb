from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.exc import OperationalError

from openboard.domain import DEFAULT_SEARCH_DEADLINE_S, pattern_search
from openboard.store._errors import DatabaseUnavailableError

READ_ONLY = "openboard_read_only"
_QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement_timeout
SEARCH_DEADLINE = "openboard_search_deadline"  # seconds (store._search.search_deadline)
REGEXP_FUNCTION = "openboard_regexp"  # the search's regular expressions on SQLite
# SQLite's result codes for a database that is busy or out of reach, not wrong.
_SQLITE_UNAVAILABLE = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_CANTOPEN", "SQLITE_IOERR")


def create_store_engine(url: str, busy_timeout_seconds: float = 30.0) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout so workers can share it.

    A statement waits at most `busy_timeout_seconds` for a lock another process holds (SQLite's
    busy timeout; PostgreSQL's lock_timeout, which cuts only the wait for a lock, never a long
    query), then fails as `DatabaseUnavailableError`, which callers may retry."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        options = f"-c lock_timeout={round(busy_timeout_seconds * 1000)}"
        engine = create_engine(url, pool_pre_ping=True, connect_args={"options": options})
        _map_errors(engine)
        return engine
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": busy_timeout_seconds})

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection: Any, _: Any) -> None:
        # pysqlite opens transactions lazily; let SQLAlchemy emit BEGIN itself so that writes
        # take the lock at the start of a transaction, not in the middle.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={round(busy_timeout_seconds * 1000)}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
        # The search's regular expressions on RE2 (linear time), not Python's re (backtracking).
        dbapi_connection.create_function(REGEXP_FUNCTION, 2, pattern_search, deterministic=True)

    @event.listens_for(engine, "begin")
    def _begin(connection: Any) -> None:
        # Writers take the lock up front; readers (WAL) never wait for it, nor for each other.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    _map_errors(engine)
    return engine


def _map_errors(engine: Engine) -> None:
    """The one place a driver's operational error (locked, timed out, server gone) becomes
    openboard's own; integrity errors stay SQLAlchemy's, for the store's own code to interpret."""

    @event.listens_for(engine, "handle_error")
    def _unavailable(context: ExceptionContext) -> None:
        error = context.sqlalchemy_exception
        if context.is_pre_ping or not isinstance(error, OperationalError):
            return  # a failed pre-ping is the pool's to handle: it reconnects
        original = error.orig if error.orig is not None else error
        if getattr(original, "sqlstate", None) == _QUERY_CANCELED:
            return  # a statement_timeout the caller set (a search's deadline) is the caller's
        code = getattr(original, "sqlite_errorname", None)
        if code is not None and not code.startswith(_SQLITE_UNAVAILABLE):
            return  # SQLite also says OperationalError for a missing column: a bug, not a wait
        lines = str(original).strip().splitlines()
        raise DatabaseUnavailableError(lines[0] if lines else type(original).__name__) from error


def reader_of(engine: Engine, search_deadline_s: float = DEFAULT_SEARCH_DEADLINE_S) -> Engine:
    """The same engine for transactions that only read (no write lock on SQLite), whose searches
    stop after `search_deadline_s`."""
    return engine.execution_options(**{READ_ONLY: True, SEARCH_DEADLINE: search_deadline_s})
