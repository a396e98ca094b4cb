"""An admin's re-run of a finished evaluation: a new attempt on the same pinned commit, audited,
the previous scores in the history and the previous run's files kept beside the new ones."""

import gzip
import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import BenchmarkScore, Role, Status, TaskScore
from openboard.evaluation import SAMPLES_FILE, SUITES, RunComparison, compare_samples
from openboard.queue import (
    ALLOWED_TRANSITIONS,
    IllegalTransitionError,
    claim_next,
    finish,
    requeue,
    rerun,
)
from openboard.web import create_app
from openboard.worker._runs import publish_run

from .conftest import POSTGRES_SERVER
from .test_board import BENCHMARKS, T0, add_finished
from .test_store import new_request
from .web_helpers import add_user, sign_in

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
    http = TestClient(create_app(store, SUITES, artifacts=context.settings.artifacts_dir))
    (shown,) = http.get("/api/models/demo/tiny").json()["evaluations"]
    comparison = shown["previous"]["comparison"]
    assert comparison["identical_outputs"] and comparison["same_setup"], comparison
    assert comparison["compared"] == len(first_outputs) and comparison["changed"] == []
    assert "Identical outputs: all" in http.get("/models/demo/tiny").text

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


def test_an_admin_re_runs_an_evaluation_from_its_model_page(context: Context) -> None:
    store = context.store
    add_finished(store, "org/done", (50, 60, 70))
    (done,) = store.list_requests(model="org/done")
    add_user(store, "root", Role.ADMIN)
    add_user(store, "alice")
    app = create_app(store, SUITES, artifacts=context.settings.artifacts_dir)
    with TestClient(app) as reader:
        sign_in(reader, "alice")
        assert "Re-run this evaluation" not in reader.get("/models/org/done").text
    with TestClient(app) as admin:
        sign_in(admin, "root")
        page = admin.get("/models/org/done").text
        assert "Re-run this evaluation" in page and f'name="request_id" value="{done.id}"' in page
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        answer = admin.post("/admin/actions", follow_redirects=False, data={
            "csrf_token": token.group(1), "action": "rerun", "request_id": str(done.id),
            "reason": "from the model page",
        })  # fmt: skip
        assert answer.status_code == 303, answer.text
        again = store.get_request(done.id)
        assert again is not None and again.status is Status.PENDING
        assert (
            "Re-run this evaluation" not in admin.get("/models/org/done").text
        )  # not finished now
    [entry] = store.scores.history(done.id)
    assert entry.reason == "from the model page"


TASK = "arith_check"


def _run_files(
    folder: Path, outcomes: dict[int, float], outputs: dict[int, str], lm_eval: str
) -> None:
    """A run's per-sample outputs in lm-eval's logged form, and its reproducibility record."""
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        for doc, value in outcomes.items():
            record = {"task": TASK, "doc_id": doc, "arguments": [[f"question {doc}", {}]],
                      "resps": [[outputs[doc]]], "filtered_resps": [outputs[doc]], "target": "4",
                      "metrics": ["exact_match"], "exact_match": value}  # fmt: skip
            stream.write(json.dumps(record) + "\n")
    record = {"versions": {"lm_eval": lm_eval}, "seed": 1234, "hardware": {"machine": "x86_64"}}
    (folder / "reproducibility.json").write_text(json.dumps(record))


def test_the_model_page_shows_previous_scores_and_what_changed_per_sample(
    context: Context,
) -> None:
    store, artifacts = context.store, context.settings.artifacts_dir
    add_finished(store, "org/m", (50, 60, 70))
    (finished,) = store.list_requests(model="org/m")
    folder = artifacts / str(finished.id)
    _run_files(folder, {0: 1.0, 1: 1.0, 2: 0.0}, {0: "4", 1: "4", 2: "5"}, "0.4.12")
    assert rerun(store, finished, actor="root", at=T0, reason="lm-eval upgraded")
    running = claim_next(store, "w2", lambda: T0)
    assert running is not None and running.id == finished.id
    task = TaskScore(BENCHMARKS[0], TASK, "math_verify", 0.5, None, None, 50.0, 4,
                     extra={"exact_match": 0.25})  # fmt: skip
    assert finish(
        store, running, actor="w2", at=T0, task_scores=[task], average=60.0,
        benchmark_scores=[BenchmarkScore(BENCHMARKS[0], 0.55, 55.0),
                          BenchmarkScore(BENCHMARKS[1], 0.6, 60.0),
                          BenchmarkScore(BENCHMARKS[2], 0.7, 70.0)],
        eval_seconds=5.0, co2_kg=0.0,
    )  # fmt: skip
    workdir = artifacts / f".{running.id}.attempt-{running.attempts}"
    # doc 1 turns wrong, doc 2 says something else (still wrong), doc 3 is new
    _run_files(
        workdir, {0: 1.0, 1: 0.0, 2: 0.0, 3: 1.0}, {0: "4", 1: "3", 2: "6", 3: "4"}, "0.4.13"
    )
    publish_run(store, running.id, running.attempts, workdir, folder)
    assert _outputs(folder / "history" / "attempt-1")[(TASK, 1)] == ["4"]

    http = TestClient(create_app(store, SUITES, artifacts=artifacts))
    (evaluation,) = http.get("/api/models/org/m").json()["evaluations"]
    (entry,) = evaluation["previous"]["history"]
    assert (entry["kind"], entry["reason"], entry["run"]) == (
        "rerun",
        "lm-eval upgraded",
        "attempt-1",
    )
    changed = {b["name"]: (b["before"], b["after"]) for b in entry["benchmarks"]}
    assert changed[BENCHMARKS[0]] == (50.0, 55.0) and changed[BENCHMARKS[1]] == (60.0, 60.0)
    comparison = evaluation["previous"]["comparison"]
    assert comparison["identical_outputs"] is False and comparison["same_setup"] is False
    assert comparison["setup_differences"] == ["versions.lm_eval: 0.4.12 → 0.4.13"]
    (counts,) = comparison["tasks"]
    assert counts == {"task": TASK, "compared": 3, "outcome_changed": 1, "output_changed": 2,
                      "only_before": 0, "only_after": 1}  # fmt: skip
    assert comparison["changed"] == [
        {"task": TASK, "doc_id": 1, "metric": "exact_match", "before": 1.0, "after": 0.0}
    ]
    assert evaluation["tasks"][0]["extra"] == {"exact_match": 0.25}
    page = http.get("/models/org/m").text
    assert "Previous scores" in page and "lm-eval upgraded" in page
    assert "Outputs differ from attempt-1 in 2 of 3 samples; 1 changed outcome" in page
    assert (
        f"?run=attempt-1&amp;task={TASK}&amp;doc=1" in page
        and "lm-eval exact_match: 0.2500" in page
    )

    def sample(**query: str) -> Any:
        return http.get(f"/api/models/org/m/samples/{finished.id}", params=query)

    before = sample(run="attempt-1", task=TASK, doc="1").json()
    assert [(s["doc_id"], s["value"], s["output"]) for s in before["samples"]] == [(1, 1.0, "4")]
    assert before["runs"] == ["attempt-1"]
    now = sample(task=TASK, doc="1").json()["samples"]
    assert [(s["doc_id"], s["value"], s["output"]) for s in now] == [(1, 0.0, "3")]
    for bad in ("attempt-9", "../1", "history"):
        answer = sample(run=bad)
        assert answer.status_code == 404 and "earlier runs: attempt-1" in answer.json()["detail"]


def test_identical_runs_compare_as_identical() -> None:
    records = [{"task": TASK, "doc_id": d, "resps": [["x"]], "metrics": ["acc"], "acc": 1.0}
               for d in range(3)]  # fmt: skip
    tasks, changed = compare_samples(records, [dict(r) for r in records])
    assert RunComparison(tasks, changed, ()).identical_outputs and changed == ()
    flipped = [*records[:2], {**records[2], "resps": [["y"]], "acc": 0.0}]
    tasks, changed = compare_samples(records, flipped)
    assert not RunComparison(tasks, changed, ()).identical_outputs
    assert [(c.doc_id, c.before, c.after) for c in changed] == [(2, 1.0, 0.0)]
