from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from openboard.domain import FailureKind, ModelType, PinKind, Precision, Status, WeightType
from openboard.queue import IllegalTransitionError, cancel, claim_next, fail, finish
from openboard.store import (
    HEAD_REVISION,
    DuplicateRequestError,
    NewRequest,
    Store,
    current_revision,
)
from openboard.store._migrate import migrate

from .conftest import POSTGRES_SERVER

T0 = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
# Tests on an SQLite file of their own, whatever the pass: the PostgreSQL pass would repeat them.
sqlite_file = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="an SQLite file of its own: the SQLite pass runs it"
)


def new_request(
    model: str = "org/m",
    revision: str = "a" * 40,
    precision: Precision = Precision.BFLOAT16,
    at: datetime = T0,
) -> NewRequest:
    return NewRequest(
        model=model,
        base_model=None,
        requested_revision="main",
        revision=revision,
        pin=PinKind.GIT_COMMIT,
        precision=precision,
        weight_type=WeightType.ORIGINAL,
        model_type=ModelType.PRETRAINED,
        use_chat_template=False,
        params=123,
        architectures=["LlamaForCausalLM"],
        sender="alice",
        submitted_time=at,
        suite="starter",
    )


@pytest.fixture
def store(database_url: str, migrated_template: str) -> Iterator[Store]:
    """A copy of the migrated template (the migrations from scratch are tested below);
    `migrate()` must find nothing to do."""
    store = Store.open(database_url)
    store.migrate()
    yield store
    store.engine.dispose()


@sqlite_file
def test_sqlite_runs_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'ob.db'}")
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"


@sqlite_file
def test_first_migration_database_upgrades_to_head_keeping_rows(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    migrate(store.engine, "0001")
    assert current_revision(store.engine) == "0001"
    assert "task_results" not in inspect(store.engine).get_table_names()
    with store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO requests (model, requested_revision, revision, pin, precision, weight_type, "
                "model_type, use_chat_template, architectures, status, sender, submitted_time, suite) "
                "VALUES ('old/model', 'main', :sha, 'git', 'float16', 'Original', 'pretrained', 0, '[]', "
                "'PENDING', 'bob', '2025-01-01 00:00:00', 'starter')"
            ),
            {"sha": "b" * 40},
        )
    store.migrate()
    assert current_revision(store.engine) == HEAD_REVISION
    assert {"task_results", "benchmark_scores"} <= set(inspect(store.engine).get_table_names())
    (old,) = store.list_requests()
    assert old.model == "old/model" and old.status is Status.PENDING and old.average is None
    store.migrate()  # idempotent
    assert current_revision(store.engine) == HEAD_REVISION


def test_duplicate_key_is_refused_while_active_and_allowed_after_failure(store: Store) -> None:
    first = store.add_request(new_request(), actor="alice")
    with pytest.raises(DuplicateRequestError) as info:
        store.add_request(new_request(), actor="bob")
    assert info.value.existing_id == first.id
    store.add_request(
        new_request(precision=Precision.FLOAT16), actor="alice"
    )  # other precision: fine
    store.add_request(new_request(revision="c" * 40), actor="alice")  # other sha: fine
    fail(store, first, actor="admin", at=T0, reason="broken")
    again = store.add_request(new_request(), actor="alice")
    assert again.id != first.id


def test_claim_takes_oldest_pending_once(store: Store) -> None:
    later = store.add_request(
        new_request(model="org/later", at=T0 + timedelta(minutes=1)), actor="a"
    )
    older = store.add_request(new_request(model="org/older"), actor="a")
    claimed = claim_next(store, "w1", lambda: T0)
    assert claimed is not None and claimed.id == older.id
    assert claimed.status is Status.RUNNING and claimed.attempts == 1 and claimed.worker == "w1"
    second = claim_next(store, "w2", lambda: T0)
    assert second is not None and second.id == later.id
    assert claim_next(store, "w3", lambda: T0) is None


def test_transitions_are_checked_and_logged(store: Store) -> None:
    request = store.add_request(new_request(), actor="alice")
    with pytest.raises(IllegalTransitionError, match="PENDING to FINISHED"):
        finish(store, request, actor="x", at=T0, task_scores=[], benchmark_scores=[],
               average=0.0, eval_seconds=0.0, co2_kg=0.0)  # fmt: skip
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None
    # A stale copy (still PENDING) loses the compare-and-set instead of overwriting RUNNING.
    assert cancel(store, request, actor="x", at=T0, reason="stale") is False
    assert fail(
        store, running, actor="w1", at=T0, reason="72 GiB needed", kind=FailureKind.OUT_OF_MEMORY
    )
    stored = store.get_request(request.id)
    assert stored is not None and stored.status is Status.FAILED
    assert (
        stored.failure_reason == "72 GiB needed"
        and stored.failure_kind is FailureKind.OUT_OF_MEMORY
    )
    kinds = [(e.from_status, e.to_status, e.message) for e in store.events_for(request.id)]
    assert kinds[0][1] is Status.PENDING
    assert kinds[-1] == (Status.RUNNING, Status.FAILED, "out of memory: 72 GiB needed")


@sqlite_file
def test_the_trigram_index_follows_requests_after_every_migration(tmp_path: Path) -> None:
    """A migration that rebuilds `requests` (SQLite's batch mode) would drop the triggers that keep
    the model-name index in step, and every narrowed search would then find nothing."""
    store = Store.open(f"sqlite:///{tmp_path / 'ob.db'}")
    store.migrate()
    store.add_request(new_request(model="org/findable-model"), actor="alice")
    with store.engine.connect() as conn:
        triggers = set(
            conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
        )
        found = conn.execute(
            text(
                "SELECT count(*) FROM requests_model_fts WHERE requests_model_fts MATCH 'findable'"
            )
        ).scalar_one()
    assert {
        "requests_model_fts_insert",
        "requests_model_fts_delete",
        "requests_model_fts_update",
    } <= triggers
    assert found == 1
    store.engine.dispose()
