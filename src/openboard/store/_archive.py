"""Results from the public leaderboard's archive: each file read is a row of `archive_results`;
each (model, precision, suite) is one FINISHED request of origin "archive" showing its newest run.

A batch of files is one transaction. An archive request is born FINISHED by the `archived` event
(it never waits in the queue, so no queue transition applies); a newer run replaces its scores the
way a rescore does, with the scores before kept in `score_history` (kind "archive")."""

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, Table, exists, insert, select, update

from openboard.domain import (
    BenchmarkScore,
    ModelType,
    Origin,
    PinKind,
    Precision,
    ScoreInterval,
    Status,
    TaskScore,
    WeightType,
)
from openboard.store._engine import reader_of
from openboard.store._events import add_event
from openboard.store._intervals import interval_row, write_intervals
from openboard.store._scores import (
    ScoreChange,
    _benchmark_map,
    _insert_change,
    clear_scores,
    task_row,
    write_scores,
)
from openboard.store._tables import (
    archive_results,
    benchmark_scores,
    events,
    requests,
    score_intervals,
    task_results,
)
from openboard.store._time import as_utc

__all__ = ["ArchiveEntry", "ArchiveOutcome", "ArchiveProvenance", "ArchiveStore"]

ARCHIVE_SENDER = "archive"


class ArchiveOutcome(StrEnum):
    IMPORTED = "imported"  # a model new to the board
    UPDATED = "updated"  # a changed file, or a newer run of a model: its scores replaced
    HISTORY = "history"  # an older run than the one shown: kept in the model's history only
    # A shown file read again unchanged because its result has no intervals (imported before
    # imports computed them): the intervals are added, nothing else is written.
    INTERVALS = "intervals_added"


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One archive file, read and scored by openboard, with what the board shows of its model."""

    model: str
    revision: str
    precision: Precision
    suite: str
    model_type: ModelType
    weight_type: WeightType
    use_chat_template: bool
    params: int | None
    architectures: list[str]
    license: str | None
    merged: bool
    moe: bool
    base_model: str | None
    available: bool | None
    submitted_time: datetime
    eval_seconds: float | None
    co2_kg: float | None
    task_scores: list[TaskScore]
    benchmark_scores: list[BenchmarkScore]
    average: float
    scorer: str
    source: str  # a folder, or hub:<dataset>
    path: str  # the file inside the source, `/`-separated
    sha256: str
    run_at: datetime
    dataset_commit: str | None
    contents: dict[str, Any] | None  # the public table's row, as published
    # From lm-eval's standard errors (no per-sample outputs come with the archive).
    intervals: Sequence[ScoreInterval] = ()


@dataclass(frozen=True, slots=True)
class ArchiveProvenance:
    """Where a request's shown scores came from, and the model's other runs."""

    source: str
    path: str
    sha256: str
    run_at: datetime
    dataset_commit: str | None
    imported_at: datetime
    current: bool
    average: float
    contents: dict[str, Any] | None


Writer = Callable[[Sequence[ArchiveEntry], datetime], list[ArchiveOutcome]]


class ArchiveStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reader = reader_of(engine)

    def known_files(self, source: str) -> dict[str, str]:
        """Path → sha256 of every file already read from `source`."""
        query = select(archive_results.c.path, archive_results.c.sha256).where(
            archive_results.c.source == source
        )
        with self._reader.connect() as conn:
            return {str(p): str(s) for p, s in conn.execute(query)}

    def without_intervals(self, source: str) -> set[str]:
        """Paths of `source`'s shown files whose result has no intervals."""
        c = archive_results.c
        query = select(c.path).where(
            c.source == source, c.current,
            ~exists().where(score_intervals.c.request_id == c.request_id),
        )  # fmt: skip
        with self._reader.connect() as conn:
            return {str(p) for p in conn.execute(query).scalars()}

    def provenance(self, request_id: int) -> list[ArchiveProvenance]:
        """The request's archive files, the shown one first, then older runs newest first."""
        c = archive_results.c
        query = (
            select(archive_results)
            .where(c.request_id == request_id)
            .order_by(c.current.desc(), c.run_at.desc(), c.id.desc())
        )
        with self._reader.connect() as conn:
            return [
                ArchiveProvenance(
                    source=r["source"],
                    path=r["path"],
                    sha256=r["sha256"],
                    run_at=as_utc(r["run_at"]),
                    dataset_commit=r["dataset_commit"],
                    imported_at=as_utc(r["imported_at"]),
                    current=bool(r["current"]),
                    average=float(r["average"]),
                    contents=r["contents"],
                )
                for r in conn.execute(query).mappings()
            ]

    def write(self, entries: Sequence[ArchiveEntry], at: datetime) -> list[ArchiveOutcome]:
        """Record a batch of files in one transaction, in order (a later run of the same model in
        the batch replaces an earlier one); one outcome per entry."""
        with self._engine.begin() as conn:
            return _write_batch(conn, entries, at)

    @contextmanager
    def writer(self, keep: bool) -> Iterator[Writer]:
        """`write` for a whole import; `keep` False (a dry run): every batch goes into one
        transaction that is rolled back at the end, so the outcomes are exact and nothing stays."""
        if keep:
            yield self.write
            return
        with self._engine.connect() as conn, conn.begin() as transaction:
            yield lambda entries, at: _write_batch(conn, entries, at)
            transaction.rollback()


def _key(entry: ArchiveEntry) -> tuple[str, str, str]:
    return entry.model, entry.precision.value, entry.suite


def _write_batch(
    conn: Connection, entries: Sequence[ArchiveEntry], at: datetime
) -> list[ArchiveOutcome]:
    """New models whose file is new and whose key no other entry of the batch shares are inserted
    in bulk (a few statements for the whole batch); every other entry goes through `_write` in
    order, which is what the outcome of each would be one by one."""
    keys = [_key(e) for e in entries]
    seen: dict[tuple[str, str, str], int] = {}
    for key in keys:
        seen[key] = seen.get(key, 0) + 1
    known_paths = _known_paths(conn, entries)
    shown = _shown_keys(conn, {e.model for e in entries})
    fresh = [
        n for n, e in enumerate(entries)
        if seen[keys[n]] == 1 and keys[n] not in shown and e.path not in known_paths
    ]  # fmt: skip
    outcomes: dict[int, ArchiveOutcome] = {}
    _insert_new(conn, [entries[n] for n in fresh], at)
    outcomes.update((n, ArchiveOutcome.IMPORTED) for n in fresh)
    for n, entry in enumerate(entries):
        if n not in outcomes:
            outcomes[n] = _write(conn, entry, at)
    return [outcomes[n] for n in range(len(entries))]


def _known_paths(conn: Connection, entries: Sequence[ArchiveEntry]) -> set[str]:
    c = archive_results.c
    found: set[str] = set()
    for source in {e.source for e in entries}:
        paths = [e.path for e in entries if e.source == source]
        query = select(c.path).where(c.source == source, c.path.in_(paths))
        found |= {str(p) for p in conn.execute(query).scalars()}
    return found


def _shown_keys(conn: Connection, models: set[str]) -> set[tuple[str, str, str]]:
    r = requests.c
    query = select(r.model, r.precision, r.suite).where(
        r.origin == Origin.ARCHIVE.value, r.model.in_(sorted(models))
    )
    return {(str(m), str(p), str(s)) for m, p, s in conn.execute(query)}


def _insert_new(conn: Connection, entries: Sequence[ArchiveEntry], at: datetime) -> None:
    if not entries:
        return
    born = {"status": Status.FINISHED.value, "sender": ARCHIVE_SENDER, "attempts": 0,
            "origin": Origin.ARCHIVE.value}  # fmt: skip
    ids = [
        int(i)
        for i in conn.execute(
            insert(requests).returning(requests.c.id, sort_by_parameter_order=True),
            [_request_values(e) | born for e in entries],
        ).scalars()
    ]
    _many(conn, events, [
        {"request_id": i, "at": at, "actor": ARCHIVE_SENDER, "kind": "archived",
         "message": _archived_message(e), "to_status": Status.FINISHED.value}
        for i, e in zip(ids, entries, strict=True)
    ])  # fmt: skip
    _many(
        conn,
        task_results,
        [task_row(i, t) for i, e in zip(ids, entries, strict=True) for t in e.task_scores],
    )
    _many(conn, benchmark_scores, [
        {"request_id": i, "benchmark": b.benchmark, "raw": b.raw, "normalized": b.normalized}
        for i, e in zip(ids, entries, strict=True) for b in e.benchmark_scores
    ])  # fmt: skip
    _many(conn, score_intervals, [
        interval_row(i, x) for i, e in zip(ids, entries, strict=True) for x in e.intervals
    ])  # fmt: skip
    _many(conn, archive_results, [
        {"request_id": i, "source": e.source, "path": e.path, "current": True,
         **_file_values(e, at)}
        for i, e in zip(ids, entries, strict=True)
    ])  # fmt: skip


def _many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """One executemany (its statement compiled once, cached across batches)."""
    if rows:
        conn.execute(insert(table), rows)


def _archived_message(entry: ArchiveEntry) -> str:
    return f"from the public leaderboard's archive: {entry.source} {entry.path}"


def _write(conn: Connection, entry: ArchiveEntry, at: datetime) -> ArchiveOutcome:
    c = archive_results.c
    same_file = conn.execute(
        select(c.id, c.request_id, c.current, c.sha256).where(
            c.source == entry.source, c.path == entry.path
        )
    ).first()
    if same_file is not None and same_file.sha256 == entry.sha256 and same_file.current:
        write_intervals(conn, int(same_file.request_id), entry.intervals)
        add_event(conn, int(same_file.request_id), at, ARCHIVE_SENDER, "intervals",
                  "95% confidence intervals (normal) recorded")  # fmt: skip
        return ArchiveOutcome.INTERVALS
    if same_file is not None:  # the file changed since it was read
        conn.execute(
            update(archive_results).where(c.id == same_file.id).values(**_file_values(entry, at))
        )
        if not same_file.current:
            return ArchiveOutcome.HISTORY
        _replace(conn, int(same_file.request_id), entry, at, "the archive file changed")
        return ArchiveOutcome.UPDATED
    head = _head(conn, entry)
    if head is None:
        request_id = _insert_request(conn, entry, at)
        _insert_file(conn, request_id, entry, at, current=True)
        return ArchiveOutcome.IMPORTED
    request_id, shown_run_at = head
    newer = entry.run_at > shown_run_at
    if newer:
        conn.execute(
            update(archive_results).where(c.request_id == request_id).values(current=False)
        )
        _replace(conn, request_id, entry, at, f"a newer run ({entry.run_at:%Y-%m-%d %H:%M})")
    _insert_file(conn, request_id, entry, at, current=newer)
    return ArchiveOutcome.UPDATED if newer else ArchiveOutcome.HISTORY


def _head(conn: Connection, entry: ArchiveEntry) -> tuple[int, datetime] | None:
    """The archive request of the entry's model, precision and suite, and its shown run's time."""
    r, c = requests.c, archive_results.c
    row = conn.execute(
        select(r.id, c.run_at)
        .join(archive_results, (c.request_id == r.id) & c.current)
        .where(r.origin == Origin.ARCHIVE.value, r.model == entry.model,
               r.precision == entry.precision.value, r.suite == entry.suite)
    ).first()  # fmt: skip
    return (int(row.id), as_utc(row.run_at)) if row is not None else None


def _request_values(entry: ArchiveEntry) -> dict[str, Any]:
    return {
        "model": entry.model, "base_model": entry.base_model, "requested_revision": entry.revision,
        "revision": entry.revision, "pin": PinKind.GIT_COMMIT.value,
        "precision": entry.precision.value, "weight_type": entry.weight_type.value,
        "model_type": entry.model_type.value, "use_chat_template": entry.use_chat_template,
        "params": entry.params, "architectures": list(entry.architectures),
        "submitted_time": entry.submitted_time, "suite": entry.suite,
        "namespace": entry.model.split("/", 1)[0], "license": entry.license,
        "merged": entry.merged, "moe": entry.moe, "available": entry.available,
        "job_start_time": entry.run_at, "finished_time": entry.run_at,
        "eval_seconds": entry.eval_seconds, "co2_kg": entry.co2_kg,
        "average": entry.average, "scorer": entry.scorer,
    }  # fmt: skip


def _insert_request(conn: Connection, entry: ArchiveEntry, at: datetime) -> int:
    values = _request_values(entry) | {
        "status": Status.FINISHED.value, "sender": ARCHIVE_SENDER, "attempts": 0,
        "origin": Origin.ARCHIVE.value,
    }  # fmt: skip
    inserted = conn.execute(insert(requests).values(**values)).inserted_primary_key
    assert inserted is not None
    request_id = int(inserted[0])
    write_scores(conn, request_id, entry.task_scores, entry.benchmark_scores)
    write_intervals(conn, request_id, entry.intervals)
    add_event(conn, request_id, at, ARCHIVE_SENDER, "archived", _archived_message(entry),
              to_status=Status.FINISHED)  # fmt: skip
    return request_id


def _replace(
    conn: Connection, request_id: int, entry: ArchiveEntry, at: datetime, why: str
) -> None:
    row = conn.execute(
        select(requests.c.average, requests.c.scorer).where(requests.c.id == request_id)
    ).one()
    _insert_change(conn, ScoreChange(
        request_id=request_id, at=at, actor=ARCHIVE_SENDER, kind="archive", reason=why,
        old_scorer=row.scorer, new_scorer=entry.scorer, old_average=row.average,
        new_average=entry.average, old_scores=_benchmark_map(conn, request_id),
        new_scores=_scores_map(entry), details={"source": entry.source, "path": entry.path},
    ))  # fmt: skip
    clear_scores(conn, request_id)
    write_scores(conn, request_id, entry.task_scores, entry.benchmark_scores)
    write_intervals(conn, request_id, entry.intervals)
    conn.execute(
        update(requests).where(requests.c.id == request_id).values(**_request_values(entry))
    )
    add_event(conn, request_id, at, ARCHIVE_SENDER, "archived",
              f"{why}: {entry.source} {entry.path}")  # fmt: skip


def _scores_map(entry: ArchiveEntry) -> dict[str, dict[str, float]]:
    return {b.benchmark: {"raw": b.raw, "normalized": b.normalized} for b in entry.benchmark_scores}


def _file_values(entry: ArchiveEntry, at: datetime) -> dict[str, Any]:
    return {
        "sha256": entry.sha256, "run_at": entry.run_at, "dataset_commit": entry.dataset_commit,
        "imported_at": at, "average": entry.average, "scores": _scores_map(entry),
        "contents": entry.contents,
    }  # fmt: skip


def _insert_file(
    conn: Connection, request_id: int, entry: ArchiveEntry, at: datetime, current: bool
) -> None:
    conn.execute(
        insert(archive_results).values(
            request_id=request_id, source=entry.source, path=entry.path, current=current,
            **_file_values(entry, at),
        )
    )  # fmt: skip
