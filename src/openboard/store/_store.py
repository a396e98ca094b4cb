"""Requests, results and the board. Every write that must be atomic is one transaction; the
queue's moves live in `_queue.py`."""

import logging
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Connection,
    Engine,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.exc import IntegrityError

from openboard.domain import (
    DEFAULT_SEARCH_DEADLINE_S,
    BenchmarkScore,
    Origin,
    Precision,
    Status,
    TaskScore,
)
from openboard.store._accounts import AccountStore
from openboard.store._archive import ArchiveStore
from openboard.store._audit import record
from openboard.store._availability import AvailabilityStore
from openboard.store._board import (
    BoardPoint,
    BoardQuery,
    BoardRow,
    ShownRequest,
    board_page,
    board_points,
)
from openboard.store._contamination import ContaminationStore, smallest_p_values
from openboard.store._engine import create_store_engine, reader_of
from openboard.store._errors import (
    AdmissionError,
    BlockedModelError,
    BoardWouldWaitError,
    DuplicateRequestError,
    RateLimitError,
)
from openboard.store._events import add_event
from openboard.store._feeds import recent_results
from openboard.store._intervals import IntervalStore
from openboard.store._migrate import migrate
from openboard.store._moderation import ModerationStore, flag_of
from openboard.store._queue import QueueStore
from openboard.store._ranking import sql_marks
from openboard.store._readmodel import BoardModel, covers
from openboard.store._records import (
    Admission,
    AuditEntry,
    EvalRequest,
    Event,
    Flag,
    NewRequest,
)
from openboard.store._rows import event_of, request_of, task_score_of
from openboard.store._scores import ScoreStore
from openboard.store._snapshot import BoardSnapshot
from openboard.store._standing import BoardStanding, standing_in_sql
from openboard.store._tables import (
    ACTIVE_STATUSES,
    MAX_CARD_CHARS,
    benchmark_scores,
    blocklist,
    events,
    flags,
    model_cards,
    requests,
    task_results,
)
from openboard.store._time import as_utc
from openboard.store._version import VersionProbe
from openboard.store._votes import VoteStore
from openboard.store._webhooks import WebhookStore

log = logging.getLogger(__name__)
_NEVER_WAIT: ContextVar[bool] = ContextVar("openboard_board_reads_never_wait", default=False)
# (the store, the data version read for it) inside `Store.reading_at`
_READ_AT: ContextVar[tuple["Store", tuple[int, ...]] | None] = ContextVar(
    "openboard_read_at", default=None
)


@contextmanager
def board_reads_never_wait() -> Iterator[None]:
    """Within this block `Store.board` answers from a current read model or raises
    `BoardWouldWaitError`: it never waits for the model to catch up nor reads the page from
    SQL. For a caller on an event loop, where waiting would stall every other request."""
    token = _NEVER_WAIT.set(True)
    try:
        yield
    finally:
        _NEVER_WAIT.reset(token)


# A reader whose page met a newer data version than its snapshot waits this long for the next one
# (an update is a copy of the columns: milliseconds), then answers from SQL.
_CATCH_UP_TRIES = 3
_CATCH_UP_SECONDS = 5.0
# An admin's contamination switch as the event and the audit log say it.
_CHECK_SAID = {True: "on", False: "off", None: "as the suite's setting says"}


@dataclass(frozen=True, slots=True)
class BoardResult:
    rows: list[tuple[ShownRequest, BoardRow]]
    pinned: list[tuple[ShownRequest, BoardRow]]
    total: int
    total_at_least: bool = False  # a search stopped counting: `total` or more rows match
    flags: Mapping[str, Flag] = field(default_factory=dict)  # of the models shown, same version
    # The shown requests' smallest contamination p-value and its benchmark (tested ones only)
    p_values: Mapping[int, tuple[str, float]] = field(default_factory=dict)


class Store:
    def __init__(
        self, engine: Engine, search_deadline_s: float = DEFAULT_SEARCH_DEADLINE_S
    ) -> None:
        self.engine = engine
        self.reader = reader_of(engine, search_deadline_s)  # for reads: no write lock on SQLite
        self._board_model: BoardModel | None = None  # the board in memory, once started
        self._kept_medians: tuple[tuple[int, ...], BoardQuery, dict[str, float]] | None = None
        self._search_deadline_s = search_deadline_s
        self._version = VersionProbe(self.reader, engine)

    @classmethod
    def open(
        cls,
        url: str,
        busy_timeout_seconds: float = 30.0,
        search_deadline_s: float = DEFAULT_SEARCH_DEADLINE_S,
    ) -> "Store":
        return cls(create_store_engine(url, busy_timeout_seconds), search_deadline_s)

    @property
    def queue(self) -> QueueStore:
        return QueueStore(self.engine)

    @property
    def accounts(self) -> AccountStore:
        return AccountStore(self.engine)

    @property
    def archive(self) -> ArchiveStore:
        return ArchiveStore(self.engine)

    @property
    def moderation(self) -> ModerationStore:
        return ModerationStore(self.engine)

    @property
    def availability(self) -> AvailabilityStore:
        return AvailabilityStore(self.engine)

    @property
    def scores(self) -> ScoreStore:
        return ScoreStore(self.engine)

    @property
    def webhooks(self) -> WebhookStore:
        return WebhookStore(self.engine)

    @property
    def votes(self) -> VoteStore:
        return VoteStore(self.engine)

    @property
    def intervals(self) -> IntervalStore:
        return IntervalStore(self.engine)

    @property
    def contamination(self) -> ContaminationStore:
        return ContaminationStore(self.engine)

    def migrate(self, artifacts_dir: Path | None = None) -> None:
        """`artifacts_dir`: where results' files are, read by migrations that fill columns from
        them (the efficiency figures from reproducibility.json)."""
        migrate(self.engine, artifacts_dir=artifacts_dir)

    def admission_errors(
        self, new: NewRequest, admission: Admission | None
    ) -> list[AdmissionError]:
        """Every admission rule `new` breaks now: blocklist, duplicate, rate limit (a dry run)."""
        with self.reader.connect() as conn:
            return _admission_errors(conn, new, admission)

    def add_request(
        self, new: NewRequest, actor: str, admission: Admission | None = None
    ) -> EvalRequest:
        """Queue a request. Blocklist, duplicate key and rate limit are checked in the inserting
        transaction, so two concurrent submissions cannot both pass; the first broken rule is raised."""
        values = {
            "model": new.model,
            "base_model": new.base_model,
            "base_revision": new.base_revision,
            "requested_revision": new.requested_revision,
            "revision": new.revision,
            "pin": new.pin.value,
            "precision": new.precision.value,
            "weight_type": new.weight_type.value,
            "model_type": new.model_type.value,
            "use_chat_template": new.use_chat_template,
            "params": new.params,
            "architectures": list(new.architectures),
            "status": Status.PENDING.value,
            "sender": new.sender,
            "submitted_time": new.submitted_time,
            "suite": new.suite,
            "attempts": 0,
            "namespace": new.namespace,
            "license": new.license,
            "merged": new.merged,
            "moe": new.moe,
        }
        try:
            with self.engine.begin() as conn:
                if conn.dialect.name == "postgresql":
                    # Serialize submissions per namespace: the rate-limit count and the insert
                    # must see the same rows (SQLite's BEGIN IMMEDIATE already serializes writers).
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(hashtext(:ns))"), {"ns": new.namespace}
                    )
                errors = _admission_errors(conn, new, admission)
                if errors:
                    raise errors[0]
                inserted = conn.execute(insert(requests).values(**values)).inserted_primary_key
                assert inserted is not None
                request_id = inserted[0]
                add_event(conn, request_id, new.submitted_time, actor, "submitted",
                          f"{new.model}@{new.requested_revision} → {new.revision}",
                          to_status=Status.PENDING)  # fmt: skip
                if new.model_card:
                    conn.execute(
                        insert(model_cards).values(
                            request_id=request_id, text=new.model_card[:MAX_CARD_CHARS]
                        )
                    )
        except IntegrityError as exc:
            existing = self.find_active(new.model, new.revision, new.precision)
            if existing is None:  # the conflict was something else; never hide it
                raise
            raise DuplicateRequestError(
                existing.id, existing.status.value, new.model, new.revision, new.precision.value
            ) from exc
        found = self.get_request(int(request_id))
        assert found is not None
        return found

    def find_active(self, model: str, revision: str, precision: Precision) -> EvalRequest | None:
        with self.reader.connect() as conn:
            return _find_active(conn, model, revision, precision)

    def get_request(self, request_id: int) -> EvalRequest | None:
        with self.reader.connect() as conn:
            row = (
                conn.execute(select(requests).where(requests.c.id == request_id)).mappings().first()
            )
        return request_of(row) if row else None

    def list_requests(self, model: str | None = None) -> list[EvalRequest]:
        """Every request in submission order, or only those of `model`."""
        query = select(requests).order_by(requests.c.submitted_time, requests.c.id)
        if model is not None:
            query = query.where(requests.c.model == model)
        with self.reader.connect() as conn:
            return [request_of(row) for row in conn.execute(query).mappings()]

    def requests_with_status(
        self, statuses: frozenset[Status], offset: int = 0, limit: int | None = None,
        newest_first: bool = False,
    ) -> list[EvalRequest]:  # fmt: skip
        """Requests in these states by submission time (a page of them with `limit`)."""
        order = (requests.c.submitted_time.desc(), requests.c.id.desc()) if newest_first else (
            requests.c.submitted_time, requests.c.id)  # fmt: skip
        query = (
            select(requests)
            .where(requests.c.status.in_(sorted(s.value for s in statuses)))
            .order_by(*order)
            .offset(offset)
            .limit(limit)
        )
        with self.reader.connect() as conn:
            return [request_of(row) for row in conn.execute(query).mappings()]

    def status_counts(self) -> dict[Status, int]:
        query = select(requests.c.status, func.count()).group_by(requests.c.status)
        with self.reader.connect() as conn:
            found = {Status(status): int(n) for status, n in conn.execute(query)}
        return {status: found.get(status, 0) for status in Status}

    def set_run_marks(self, request_id: int, eval_limit: int | None, data_modified: bool) -> None:
        """Record what the run saw (not a status change): shown next to its scores."""
        with self.engine.begin() as conn:
            conn.execute(
                update(requests)
                .where(requests.c.id == request_id)
                .values(eval_limit=eval_limit, data_modified=data_modified)
            )

    def set_priority(
        self, request_id: int, priority: int, actor: str, at: datetime, reason: str = ""
    ) -> bool:
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(requests).where(requests.c.id == request_id).values(priority=priority)
            ).rowcount
            if changed:
                add_event(conn, request_id, at, actor, "priority", f"priority set to {priority}")
                record(conn, AuditEntry(actor, "request.priority", f"request {request_id}",
                                        reason, at, {"priority": priority}))  # fmt: skip
        return bool(changed)

    def set_contamination_check(
        self, request_id: int, check: bool | None, actor: str, at: datetime, reason: str
    ) -> bool:
        """An admin's switch for the request's contamination test: on, off, or None (the suite's
        setting decides again). A worker reads it when it claims the request."""
        said = _CHECK_SAID[check]
        with self.engine.begin() as conn:
            changed = conn.execute(
                update(requests).where(requests.c.id == request_id)
                .values(contamination_check=check)
            ).rowcount  # fmt: skip
            if changed:
                add_event(
                    conn, request_id, at, actor, "contamination", f"contamination test {said}"
                )
                record(conn, AuditEntry(actor, "request.contamination", f"request {request_id}",
                                        reason, at, {"contamination_check": check}))  # fmt: skip
        return bool(changed)

    def events_for(self, request_id: int | None) -> list[Event]:
        """A request's events, oldest first; None: the events of no request (blocklist changes)."""
        if request_id is None:
            query = select(events).where(events.c.request_id.is_(None)).order_by(events.c.id)
            with self.reader.connect() as conn:
                return [event_of(row) for row in conn.execute(query).mappings()]
        return self.histories([request_id]).get(request_id, [])

    def histories(self, request_ids: list[int]) -> dict[int, list[Event]]:
        """Each request's events, oldest first, in one query (a page of the queue at once)."""
        if not request_ids:
            return {}
        query = select(events).where(events.c.request_id.in_(request_ids)).order_by(events.c.id)
        found: dict[int, list[Event]] = defaultdict(list)
        with self.reader.connect() as conn:
            for row in conn.execute(query).mappings():
                found[row["request_id"]].append(event_of(row))
        return dict(found)

    def task_scores(self, request_id: int) -> list[TaskScore]:
        query = (
            select(task_results)
            .where(task_results.c.request_id == request_id)
            .order_by(task_results.c.benchmark, task_results.c.task)
        )
        with self.reader.connect() as conn:
            return [task_score_of(row) for row in conn.execute(query).mappings()]

    def data_version(self) -> tuple[int, ...]:
        """Moves whenever what the leaderboard shows may change: every request event (submitted,
        finished, ...) and every audited action (flags, hidden, deleted, model types)."""
        return self._checked_version()

    @contextmanager
    def reading_at(self, version: tuple[int, ...]) -> Iterator[None]:
        """Within this block, every check of the data version (the board's, the page's) answers
        `version`, read once where a page began: the page still shows every write made before
        that, and makes one read, not one per check (each is a statement, and a thread coming
        back from one waits for the GIL behind the threads making other pages)."""
        token = _READ_AT.set((self, version))
        try:
            yield
        finally:
            _READ_AT.reset(token)

    def _checked_version(self) -> tuple[int, ...]:
        held = _READ_AT.get()
        return held[1] if held is not None and held[0] is self else self._version()

    def model_card(self, request_id: int) -> str | None:
        """The model card as submitted (Markdown, untrusted: render it through a sanitizer)."""
        query = select(model_cards.c.text).where(model_cards.c.request_id == request_id)
        with self.reader.connect() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return str(value) if value is not None else None

    def recent_results(
        self, limit: int, model: str | None = None, sender: str | None = None
    ) -> list[EvalRequest]:
        """Finished, unhidden results, newest first (the Atom feeds)."""
        return recent_results(self.reader, limit, model, sender)

    def scores_by_benchmark(self, request_id: int) -> list[BenchmarkScore]:
        query = (
            select(benchmark_scores)
            .where(benchmark_scores.c.request_id == request_id)
            .order_by(benchmark_scores.c.benchmark)
        )
        with self.reader.connect() as conn:
            return [
                BenchmarkScore(row["benchmark"], raw=row["raw"], normalized=row["normalized"])
                for row in conn.execute(query).mappings()
            ]

    def start_board_model(self) -> BoardModel:
        """Read the board into memory (numpy columns per data version) and answer `board` from
        there from now on, following every change; a server does this before its first reader."""
        if self._board_model is None:
            model = BoardModel(self.reader)
            model.start()
            self._board_model = model
        return self._board_model

    def stop_board_model(self) -> None:
        model, self._board_model = self._board_model, None
        if model is not None:
            model.stop()

    def current_board_version(self) -> tuple[int, ...] | None:
        """The database's version when `board` answers from memory now, without waiting: the
        read model is started and its snapshot is at that version (one version check: ~5 us on
        SQLite); else None. A page made `reading_at` it reads no version again."""
        model = self._board_model
        # SQLite's check is a pragma on a connection held in this process; PostgreSQL's is a
        # statement over a socket, which must not run where waiting stalls other requests.
        if model is None or self.engine.dialect.name != "sqlite":
            return None
        version = self._checked_version()
        return version if covers(model.current.version, version) else None

    def official_namespaces(self) -> frozenset[str]:
        """The namespaces moderators made official, for the board: from the read model's
        snapshot once it is started (no statement per view; as current as the board, whose
        follower polls every second and is woken by any reader that sees the database ahead),
        else from the database."""
        model = self._board_model
        if model is None:
            return self.moderation.official_namespaces()
        return model.current.official

    def board(self, query: BoardQuery, pinned: tuple[str, ...] = ()) -> BoardResult:
        """A page of the leaderboard (filtered, searched and sorted), and the pinned models' rows,
        which stay on top whatever the filters: from the read model once it is started (exact
        counts), else in the database."""
        model = self._board_model
        if model is not None:
            answer = self._board_in_memory(model, query, pinned)
            if answer is not None:
                return answer
        if _NEVER_WAIT.get():
            raise BoardWouldWaitError("the board read model is behind the database")
        if model is not None:
            log.warning("the board read model is behind the database: this page came from SQL")
        return self.board_in_sql(query, pinned)

    def _board_in_memory(
        self, model: BoardModel, query: BoardQuery, pinned: tuple[str, ...]
    ) -> BoardResult | None:
        """The page from the current snapshot (its rows, counts and what they show, all of one
        version), when the database has not moved past it; else from the next snapshot, waited
        for (a reader after a write sees the write)."""
        snapshot = model.current
        for _ in range(_CATCH_UP_TRIES):
            rows, count = snapshot.shown_page(query, deadline_s=self._search_deadline_s)
            pinned_rows = snapshot.shown_page(_pin_query(query), pinned)[0] if pinned else []
            version = self._checked_version()
            if covers(snapshot.version, version):
                ids = [r.request_id for _, r in [*pinned_rows, *rows]]
                shown = {request.model for request, _ in [*pinned_rows, *rows]}
                return BoardResult(
                    rows=rows,
                    pinned=pinned_rows,
                    total=count.rows,
                    total_at_least=count.at_least,
                    flags={m: snapshot.flags[m] for m in shown if m in snapshot.flags},
                    p_values=snapshot.smallest_p_values(ids),
                )
            if _NEVER_WAIT.get():
                raise BoardWouldWaitError("the board read model is behind the database")
            caught = model.catch_up(version, _CATCH_UP_SECONDS)
            if caught is None:
                return None
            snapshot = caught
        return None

    def board_in_sql(self, query: BoardQuery, pinned: tuple[str, ...] = ()) -> BoardResult:
        """`board` in the database alone (a search counts up to MAX_COUNTED)."""
        with self.reader.connect() as conn:
            if conn.dialect.name == "postgresql":
                # One snapshot for the count, the page and the rows: under READ COMMITTED a result
                # landing between them showed "16 counted, 17 rows".
                conn.execution_options(isolation_level="REPEATABLE READ")
            rows, count = board_page(conn, query)
            rows = sql_marks(conn, query, rows)
            pinned_rows: list[BoardRow] = []
            if pinned:
                pinned_rows, _ = board_page(conn, _pin_query(query), models=pinned)
                pinned_rows = sql_marks(conn, _pin_query(query), pinned_rows)
            ids = [r.request_id for r in [*pinned_rows, *rows]]
            found = {
                row["id"]: ShownRequest.of(request_of(row))
                for row in conn.execute(select(requests).where(requests.c.id.in_(ids))).mappings()
            } if ids else {}  # fmt: skip
            shown = sorted({r.model for r in found.values()})
            marks = {
                str(row["model"]): flag_of(row)
                for row in conn.execute(select(flags).where(flags.c.model.in_(shown))).mappings()
            } if shown else {}  # fmt: skip
            p_values = smallest_p_values(conn, ids)
        return BoardResult(
            rows=[(found[r.request_id], r) for r in rows],
            pinned=[(found[r.request_id], r) for r in pinned_rows],
            total=count.rows,
            total_at_least=count.at_least,
            flags=marks,
            p_values=p_values,
        )

    def board_standing(self, query: BoardQuery, request_ids: list[int]) -> BoardStanding:
        """Where these requests stand on the view (its filters; the order by average, best
        first): read as `board` reads its pages, so a rank is the row's place on the board."""
        model = self._board_model
        if model is not None:
            version = self.data_version()
            current = model.current
            snapshot = (
                current
                if covers(current.version, version)
                else model.catch_up(version, _CATCH_UP_SECONDS)
            )
            if snapshot is not None:
                total, ranks = snapshot.ranks(query, request_ids)
                return BoardStanding(total, ranks, self._medians_at(snapshot, query))
            log.warning("the board read model is behind the database: the standing came from SQL")
        with self.reader.connect() as conn:
            return standing_in_sql(conn, query, request_ids)

    def _medians_at(self, snapshot: BoardSnapshot, query: BoardQuery) -> dict[str, float]:
        """The view's medians, kept for the snapshot's version: a model page of the default board
        reads them all (a walk of every row per benchmark, ~0.1 s at a million rows)."""
        kept = self._kept_medians
        if kept is not None and kept[0] == snapshot.version and kept[1] == query:
            return kept[2]
        medians = snapshot.medians(query)
        self._kept_medians = (snapshot.version, query, medians)
        return medians

    def board_points(self, query: BoardQuery) -> list[BoardPoint]:
        """Every evaluation the view's filters let through, for the plots."""
        with self.reader.connect() as conn:
            return board_points(conn, query)


def _pin_query(query: BoardQuery) -> BoardQuery:
    """The pinned models' query: the view's suite and order, none of its filters."""
    return replace(
        query, search=(), types=frozenset(), precisions=frozenset(), params_min_b=None,
        params_max_b=None, hide_merged=False, hide_moe=False, hide_flagged=False,
        hide_unavailable=False, official_only=False, origin=None, offset=0, limit=100, rank_ranges=False,
    )  # fmt: skip


def _find_active(
    conn: Connection, model: str, revision: str, precision: Precision
) -> EvalRequest | None:
    query = select(requests).where(
        requests.c.model == model,
        requests.c.revision == revision,
        requests.c.precision == precision.value,
        requests.c.status.in_(ACTIVE_STATUSES),
        requests.c.origin == Origin.LOCAL.value,  # an archive row is no duplicate
    )
    row = conn.execute(query).mappings().first()
    return request_of(row) if row else None


def _admission_errors(
    conn: Connection, new: NewRequest, admission: Admission | None
) -> list[AdmissionError]:
    errors: list[AdmissionError] = []
    patterns = (new.model, f"{new.namespace}/*")
    blocked = conn.execute(
        select(blocklist.c.pattern, blocklist.c.reason).where(blocklist.c.pattern.in_(patterns))
    ).first()
    if blocked is not None:
        errors.append(BlockedModelError(new.model, blocked.pattern, blocked.reason))
    existing = _find_active(conn, new.model, new.revision, new.precision)
    if existing is not None:
        errors.append(
            DuplicateRequestError(
                existing.id, existing.status.value, new.model, new.revision, new.precision.value
            )
        )
    if admission is not None:
        recent = conn.execute(
            select(func.count(), func.min(requests.c.submitted_time)).where(
                requests.c.namespace == new.namespace,
                requests.c.submitted_time >= admission.window_start,
                requests.c.origin == Origin.LOCAL.value,
            )
        ).one()
        count, oldest = int(recent[0]), recent[1]
        if count >= admission.limit:
            retry_at = as_utc(oldest) + timedelta(days=admission.window_days)
            errors.append(
                RateLimitError(
                    new.namespace, count, admission.limit, admission.window_days, retry_at
                )
            )
    return errors
