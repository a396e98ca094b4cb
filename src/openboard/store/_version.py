"""The store's data version, read once per page view (the page cache and the board's read model
check it): on one connection held for it, outside the pool and SQLAlchemy's statement path.

The version is (max event id, max audit id): every change the board shows moves one of them.
On SQLite the held connection asks `PRAGMA data_version` first, which changes whenever another
connection (of this process or any other) committed, and reads the two maxima again only then.
On PostgreSQL it reads them in one statement, in autocommit (no BEGIN, no pool pre-ping).

On PostgreSQL calls share reads: a call that arrives while a read is in flight waits for the
next one, which begins after it arrived (so it sees every commit made before the call, as a read
of its own would), and which answers every call waiting by then. Each read is a round trip there,
and a thread coming back from one waits for the GIL behind the threads making pages: with one
read per call the readers queued behind each other's reads. Sharing them, and one read per page
(`Store.reading_at`), took 100,000-row PostgreSQL boards from 262 to 401 distinct views a second
under 16 clients.
"""

import logging
import os
import threading
from typing import Any

from sqlalchemy import Engine, event, func, select

from openboard.store._tables import audit_log, events

__all__ = ["VersionProbe", "version_columns"]

log = logging.getLogger(__name__)

Version = tuple[int, ...]


def version_columns() -> list[Any]:
    """The data version as two scalar subqueries, to read in the same statement as rows."""
    return [
        select(func.coalesce(func.max(events.c.id), 0)).scalar_subquery(),
        select(func.coalesce(func.max(audit_log.c.id), 0)).scalar_subquery(),
    ]


class VersionProbe:
    """`Store.data_version()`: one held DB-API connection, shared by the process's threads."""

    def __init__(self, engine: Engine, base: Engine) -> None:
        """`engine` reads (the store's reader); `base`: the engine whose `dispose` closes the
        held connection too, as it closes the pool's."""
        self._engine = engine
        event.listen(base, "engine_disposed", lambda _: self.close())
        self._sqlite = engine.dialect.name == "sqlite"
        # An in-memory SQLite database is one per connection: only the pool's own sees it.
        self._held_allowed = not (self._sqlite and engine.url.database in (None, "", ":memory:"))
        query = select(*version_columns())
        self._statement = str(
            query.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True})
        )
        dbapi = engine.dialect.loaded_dbapi
        self._broken = (dbapi.OperationalError, dbapi.InterfaceError)  # not a bug: reconnect
        self._lock = threading.Lock()  # the held connection's
        # SQLite's read is a pragma of ~5 us on this process's file: sharing it cost more than
        # it saved (the cached board page, answered before routing: 9,031 -> 6,088 requests/s)
        self.shares_reads = not self._sqlite
        self._turn = threading.Condition()  # the shared reads'
        self._begun = 0  # reads begun, numbered from 0
        self._reading = False
        self._last: tuple[int, Version] | None = None  # the latest read: its number, its version
        self._connection: Any = None
        self._pid = 0
        self._seen: tuple[Any, Version] | None = None  # SQLite: (PRAGMA data_version, version)

    def __call__(self) -> Version:
        if self._held_allowed:
            version = self._shared() if self.shares_reads else self._held()
            if version is not None:
                return version
        with self._engine.connect() as conn:
            row = conn.execute(select(*version_columns())).one()
        return int(row[0]), int(row[1])

    def _shared(self) -> Version | None:
        """The version from a read begun after this call: one another call began, or this
        call's own. None: the held connection broke (the caller asks through the engine)."""
        with self._turn:
            after = self._begun  # reads numbered from here begin after this call
            while self._reading:
                self._turn.wait()
                if self._last is not None and self._last[0] >= after:
                    return self._last[1]
            number, self._reading = self._begun, True
            self._begun += 1
        version = None
        try:
            version = self._held()
        finally:
            with self._turn:
                self._reading = False
                if version is not None:
                    self._last = (number, version)
                self._turn.notify_all()
        return version

    def _held(self) -> Version | None:
        with self._lock:
            try:
                return self._read_held()
            except self._broken:
                # The server went away or restarted: the next call connects again; this one
                # asks through the engine, which says what is wrong if it still is.
                log.info("the data version's connection broke; connecting again")
                self._drop()
                return None

    def close(self) -> None:
        with self._lock:
            self._drop()

    def _read_held(self) -> Version:
        if self._connection is None or self._pid != os.getpid():
            self._connect()
        cursor = self._connection.cursor()
        try:
            if self._sqlite:
                cursor.execute("PRAGMA data_version")
                moved = cursor.fetchone()[0]
                if self._seen is not None and self._seen[0] == moved:
                    return self._seen[1]
            cursor.execute(self._statement)
            row = cursor.fetchone()
        finally:
            cursor.close()
        version = (int(row[0]), int(row[1]))
        if self._sqlite:
            self._seen = (moved, version)
        return version

    def _connect(self) -> None:
        # A connection inherited through fork is the parent's: leave it to the parent.
        self._connection, self._seen = None, None
        pooled = self._engine.raw_connection()
        pooled.detach()  # ours for good: the pool opens another in its place
        if not self._sqlite:  # each read sees the latest commits and holds no snapshot
            driver: Any = pooled.dbapi_connection
            driver.autocommit = True
        self._connection, self._pid = pooled, os.getpid()

    def _drop(self) -> None:
        connection, self._connection, self._seen = self._connection, None, None
        if connection is not None and self._pid == os.getpid():
            try:
                connection.close()
            except self._engine.dialect.loaded_dbapi.Error:
                log.debug("closing the data version's broken connection failed", exc_info=True)
