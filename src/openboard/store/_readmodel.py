"""The board's read model: a `BoardSnapshot` per data version, built from SQL at start and kept
current off the request path.

SQL stays the source of truth. A thread follows `data_version()` (polled, and woken by any
reader that saw the database ahead of its snapshot): it reads the request ids of the new events
and audit records, reads those rows again and makes the next snapshot from the current one. A
reader takes the current snapshot whole, so its rows and counts come from one version.

What a page shows of each row (`ShownRequest`) is among the snapshot's columns too: a page reads
only the data version from the database (to know its snapshot is current).
"""

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Select, String, cast, false, select

from openboard.domain import Status
from openboard.store._columns import COLUMNS, Changes
from openboard.store._contamination import p_values_query
from openboard.store._moderation import flag_of
from openboard.store._names import NameIndex, folding
from openboard.store._records import Flag
from openboard.store._snapshot import BoardSnapshot
from openboard.store._tables import (
    audit_log,
    benchmark_scores,
    contamination_evidence,
    events,
    flags,
    official_providers,
    requests,
    score_intervals,
)
from openboard.store._version import version_columns

__all__ = ["BoardModel", "covers"]

log = logging.getLogger(__name__)
_POLL_SECONDS = 1.0  # how stale the model may get while no reader asks
# New names past this many are indexed again (seconds at a million names, in this thread): until
# then every search scans them one by one (~0.5 ms for 10,000), and a plain-text search is made on
# the event loop (web/_leaderboard.py), where that scan must stay small.
_REINDEX_TAIL = 10_000
_ID_BATCH = 500  # ids per IN list when rows are read again
_REQUEST_TARGET = "request "  # audit targets of actions on one result (hide, delete, type)

Version = tuple[int, ...]


def covers(have: Version, asked: Version) -> bool:
    return all(h >= a for h, a in zip(have, asked, strict=True))


def _on_board(query: Select[Any]) -> Select[Any]:
    return query.where(requests.c.status == Status.FINISHED.value, requests.c.hidden == false())


def _rows_query() -> Select[Any]:
    r = requests.c
    picked = [r.id, r.model, r.namespace, r.suite, r.model_type, r.precision, r.params, r.merged,
              r.moe, r.available, r.license, cast(r.architectures, String), r.average,
              r.submitted_time, r.origin, r.revision, r.co2_kg, r.eval_seconds,
              r.tokens_per_second, r.device_hours, r.gpu_hours, r.weight_type,
              r.use_chat_template, r.base_model, r.eval_backend, r.eval_tokens, r.eval_limit,
              r.data_modified, r.unavailable_reason]  # fmt: skip
    return _on_board(select(*picked)).order_by(r.id)


def _scores_query() -> Select[Any]:
    s = benchmark_scores.c
    joined = benchmark_scores.join(requests, requests.c.id == s.request_id)
    return _on_board(select(s.request_id, s.benchmark, s.raw, s.normalized).select_from(joined))


def _intervals_query() -> Select[Any]:
    i = score_intervals.c
    joined = score_intervals.join(requests, requests.c.id == i.request_id)
    query = select(i.request_id, i.benchmark, i.low, i.high).select_from(joined)
    return _on_board(query).where(i.low.isnot(None), i.high.isnot(None))


def _p_values_query() -> Select[Any]:
    p = contamination_evidence.c
    joined = contamination_evidence.join(requests, requests.c.id == p.request_id)
    return _on_board(p_values_query().select_from(joined))


@dataclass(frozen=True, slots=True)
class _Read:
    columns: dict[str, list[Any]]
    scores: list[tuple[int, str, float, float]]
    intervals: list[tuple[int, str, float, float]]  # request id, benchmark, low, high
    p_values: list[tuple[int, str, float]]  # request id, benchmark, p (the contamination test)


def _read(conn: Connection, ids: list[int] | None) -> _Read:
    """The rows' columns, their scores, confidence intervals and contamination p-values."""
    columns: dict[str, list[Any]] = {name: [] for name in COLUMNS}
    scores: list[tuple[int, str, float, float]] = []
    intervals: list[tuple[int, str, float, float]] = []
    p_values: list[tuple[int, str, float]] = []
    batches: Iterable[list[int] | None] = (
        [None] if ids is None else (ids[i : i + _ID_BATCH] for i in range(0, len(ids), _ID_BATCH))
    )
    for batch in batches:
        rows, score_rows, interval_rows = _rows_query(), _scores_query(), _intervals_query()
        p_rows = _p_values_query()
        if batch is not None:
            rows = rows.where(requests.c.id.in_(batch))
            score_rows = score_rows.where(benchmark_scores.c.request_id.in_(batch))
            interval_rows = interval_rows.where(score_intervals.c.request_id.in_(batch))
            p_rows = p_rows.where(contamination_evidence.c.request_id.in_(batch))
        for part in conn.execution_options(yield_per=20_000).execute(rows).partitions():
            for name, values in zip(COLUMNS, zip(*part, strict=True), strict=True):
                columns[name].extend(values)
        for part in conn.execution_options(yield_per=50_000).execute(score_rows).partitions():
            scores += [(int(a), str(b), float(c), float(d)) for a, b, c, d in part]
        for part in conn.execution_options(yield_per=50_000).execute(interval_rows).partitions():
            intervals += [(int(a), str(b), float(c), float(d)) for a, b, c, d in part]
        p_values += [(int(a), str(b), float(c)) for a, b, c in conn.execute(p_rows)]
    return _Read(columns, scores, intervals, p_values)


def _version(conn: Connection) -> Version:
    row = conn.execute(select(*version_columns())).one()
    return int(row[0]), int(row[1])


def _flagged(conn: Connection) -> dict[str, Flag]:
    return {str(row["model"]): flag_of(row) for row in conn.execute(select(flags)).mappings()}


def _official(conn: Connection) -> frozenset[str]:
    return frozenset(str(n) for n in conn.execute(select(official_providers.c.namespace)).scalars())


def _changes(conn: Connection, old: Version, new: Version) -> Changes:
    touched = {
        int(i)
        for i in conn.execute(
            select(events.c.request_id)
            .where(events.c.id > old[0], events.c.id <= new[0], events.c.request_id.isnot(None))
            .distinct()
        ).scalars()
    }
    flags_moved = official_moved = False
    audited = select(audit_log.c.action, audit_log.c.target).where(
        audit_log.c.id > old[1], audit_log.c.id <= new[1]
    )
    for action, target in conn.execute(audited):
        if target.startswith(_REQUEST_TARGET) and target[len(_REQUEST_TARGET) :].isdigit():
            touched.add(int(target[len(_REQUEST_TARGET) :]))
        flags_moved |= str(action).startswith("model.")
        official_moved |= str(action).startswith("official.")
    read = _read(conn, sorted(touched))
    return Changes(
        frozenset(touched), read.columns, read.scores, _flagged(conn) if flags_moved else None,
        read.intervals, _official(conn) if official_moved else None, read.p_values,
    )  # fmt: skip


class BoardModel:
    """The current snapshot of the board and the thread that keeps it current."""

    def __init__(self, reader: Engine) -> None:
        self._reader = reader
        self._snapshot: BoardSnapshot | None = None
        self._moved = threading.Condition()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.build_seconds = 0.0
        self.names = NameIndex(folding(reader.dialect.name))

    def start(self) -> None:
        """Build the snapshot of the current version (before the first reader), then follow."""
        began = time.perf_counter()
        with self._reader.connect() as conn:
            version = _version(conn)
            read = _read(conn, None)
            flagged = _flagged(conn)
            official = _official(conn)
        self._snapshot = BoardSnapshot.build(
            version,
            self.names,
            read.columns,
            read.scores,
            flagged,
            read.intervals,
            official,
            read.p_values,
        )
        self.build_seconds = time.perf_counter() - began
        self._stop.clear()
        self._thread = threading.Thread(target=self._follow, name="board-read-model", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    @property
    def current(self) -> BoardSnapshot:
        if self._snapshot is None:
            raise RuntimeError("the board read model was not started")
        return self._snapshot

    def catch_up(self, version: Version, seconds: float) -> BoardSnapshot | None:
        """A snapshot at `version` or later, waiting up to `seconds` for the thread to make it."""
        with self._moved:
            self._wake.set()
            self._moved.wait_for(lambda: covers(self.current.version, version), seconds)
            snapshot = self.current
        return snapshot if covers(snapshot.version, version) else None

    def _follow(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(_POLL_SECONDS)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self._advance()
            except Exception:  # the next poll tries again; readers meanwhile wait or use SQL
                log.exception("the board read model could not follow the database")

    def _advance(self) -> None:
        snapshot = self.current
        with self._reader.connect() as conn:
            version = _version(conn)
            if version == snapshot.version:
                return
            changes = _changes(conn, snapshot.version, version)
        following = snapshot.changed(version, changes)
        with self._moved:
            self._snapshot = following
            self._moved.notify_all()
        if self.names.tail > _REINDEX_TAIL:  # after the readers have the new version
            self.names.build()
