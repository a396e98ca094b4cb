"""An admin's re-run of a finished evaluation: a new attempt on the same pinned commit, audited,
the previous scores in the history and the previous run's files kept beside the new ones."""

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import Status
from openboard.evaluation import SAMPLES_FILE
from openboard.queue import ALLOWED_TRANSITIONS, IllegalTransitionError, requeue, rerun

from .conftest import POSTGRES_SERVER
from .test_board import T0, add_finished
from .test_store import new_request

LIMIT = 3  # per task: the re-run's point is the comparison, not the numbers


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _outputs(folder: Path) -> dict[tuple[str, int], Any]:
    with gzip.open(folder / SAMPLES_FILE, "rt", encoding="utf-8") as stream:
        records = [json.loads(line) for line in stream]
    return {(r["task"], r["doc_id"]): r["filtered_resps"] for r in records}


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "OPENBOARD_EVAL_LIMIT": str(LIMIT), "OPENBOARD_USER": "root"}


def test_the_one_table_lets_only_a_finished_evaluation_be_re_run() -> None:
    assert ALLOWED_TRANSITIONS[Status.FINISHED] == frozenset({Status.PENDING})


@pytest.mark.skipif(bool(POSTGRES_SERVER), reason="a real evaluation: the SQLite pass runs it")
def test_a_re_run_keeps_the_previous_scores_and_files_and_gives_the_same_outputs(
    env: dict[str, str], context: Context
) -> None:
    assert run(env, "submit", "demo/tiny", "--model-type", "pretrained").exit_code == 0
    assert "FINISHED" in run(env, "worker", "--once").output
    store = context.store
    (first,) = store.list_requests()
    folder = context.settings.artifacts_dir / str(first.id)
    before = {b.benchmark: b.normalized for b in store.scores_by_benchmark(first.id)}
    first_outputs = _outputs(folder)

    refused = run(env, "admin", "requeue", str(first.id))
    assert refused.exit_code == 1 and "re-run it instead" in refused.output
    no_reason = run(env, "admin", "rerun", str(first.id))
    assert no_reason.exit_code != 0 and store.get_request(first.id).status is Status.FINISHED  # type: ignore[union-attr]

    done = run(env, "admin", "rerun", str(first.id), "--reason", "lm-eval upgraded")
    assert done.exit_code == 0, done.output
    pending = store.get_request(first.id)
    assert pending is not None and pending.status is Status.PENDING
    assert store.scores_by_benchmark(first.id) == [] and pending.average is None
    (archived,) = store.scores.history(first.id)
    assert (archived.kind, archived.actor, archived.reason) == ("rerun", "root", "lm-eval upgraded")
    assert {k: v["normalized"] for k, v in archived.old_scores.items()} == before
    assert archived.old_average == first.average and archived.new_scores is None
    assert archived.details["attempt"] == first.attempts == 1
    audit = store.moderation.audit_log()[0]
    assert (audit.action, audit.actor, audit.reason) == (
        "request.rerun",
        "root",
        "lm-eval upgraded",
    )
    assert audit.details == {"from": "FINISHED", "to": "PENDING"}
    rerun_event = [e for e in store.events_for(first.id) if e.kind == "rerun"]
    assert len(rerun_event) == 1 and "lm-eval upgraded" in rerun_event[0].message
    assert pending.counted_attempts == 0  # a fresh budget

    assert "FINISHED" in run(env, "worker", "--once").output
    second = store.get_request(first.id)
    assert second is not None and second.status is Status.FINISHED and second.attempts == 2
    # Same commit, same hardware, same versions: the same per-sample outputs and scores.
    assert second.revision == first.revision
    assert {b.benchmark: b.normalized for b in store.scores_by_benchmark(first.id)} == before
    kept = folder / "history" / "attempt-1"
    assert archived.details["artifacts"] == "history/attempt-1"
    assert _outputs(kept) == first_outputs == _outputs(folder)
    assert json.loads((kept / "reproducibility.json").read_text())["request_id"] == first.id

    # A second re-run files the first two runs side by side, nothing overwritten.
    assert run(env, "admin", "rerun", str(first.id), "--reason", "again").exit_code == 0
    assert "FINISHED" in run(env, "worker", "--once").output
    runs = sorted(p.name for p in (folder / "history").iterdir())
    assert runs == ["attempt-1", "attempt-2"] and (folder / SAMPLES_FILE).is_file()
    assert [c.details["artifacts"] for c in store.scores.history(first.id)] == [
        "history/attempt-1", "history/attempt-2",
    ]  # fmt: skip


def test_a_re_run_is_for_finished_evaluations_and_a_requeue_is_not(context: Context) -> None:
    store = context.store
    add_finished(store, "org/done", (50, 60, 70))
    store.add_request(new_request(model="org/queued"), actor="alice")
    done, queued = (store.list_requests(model=m)[0] for m in ("org/done", "org/queued"))
    with pytest.raises(IllegalTransitionError, match="only a finished evaluation is re-run"):
        rerun(store, queued, actor="root", at=T0, reason="x")
    with pytest.raises(IllegalTransitionError, match="re-run it instead"):
        requeue(store, done, actor="root", at=T0, reason="x")
    assert store.get_request(done.id).status is Status.FINISHED  # type: ignore[union-attr]
    assert store.scores.history(done.id) == []
    # Decided on a stale read (someone re-ran it first): the second move changes nothing.
    assert rerun(store, done, actor="root", at=T0, reason="first")
    assert not rerun(store, done, actor="root", at=T0, reason="second")
    assert len(store.scores.history(done.id)) == 1
