"""A submitter's own moves: following a request with `openboard watch`, cancelling their own
request (web, API, CLI) through the queue's `cancel`, and votes inside fair share."""

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app as cli
from openboard.cli._context import Context
from openboard.cli._watch import EXIT_GAVE_UP, follow, local_fetch, remote_fetch
from openboard.domain import BenchmarkScore, Role, Status, TaskScore
from openboard.evaluation import SUITES
from openboard.queue import (
    IllegalTransitionError,
    NotYourRequestError,
    cancel_own,
    claim_next,
    fail,
    finish,
)
from openboard.store import Store
from openboard.web import create_app

from .test_store import T0, new_request
from .web_helpers import add_user, csrf, served, sign_in


def _request(store: Store, model: str = "org/m", sender: str = "alice", minute: int = 0) -> int:
    new = replace(new_request(model=model, at=T0 + timedelta(minutes=minute)), sender=sender)
    return store.add_request(new, sender).id


def _finish(store: Store, request_id: int) -> None:
    running = store.get_request(request_id)
    assert running is not None and running.status is Status.RUNNING
    finish(store, running, actor="w1", at=T0, average=42.0, eval_seconds=1.0, co2_kg=0.0,
           task_scores=[TaskScore("b", "b_task", "acc", 0.5, 0.01, 2, 42.0, 10)],
           benchmark_scores=[BenchmarkScore("b", 0.5, 42.0)])  # fmt: skip


class Script:
    """A `sleep` that moves the request one step each time `watch` waits: no timing involved."""

    def __init__(self, steps: list[Callable[[], None]]) -> None:
        self.steps = steps

    def __call__(self, seconds: float) -> None:
        if self.steps:
            self.steps.pop(0)()


def _progress(store: Store, request_id: int, done: int) -> None:
    request = store.get_request(request_id)
    assert request is not None
    store.queue.set_progress(request_id, request.attempts, done, 200)


def test_watch_follows_a_request_from_the_queue_to_its_end(context: Context) -> None:
    store = context.store
    first = _request(store, "org/first")
    watched = _request(store, "org/second", minute=1)
    lines: list[str] = []

    def claim() -> None:
        claim_next(store, "w1", lambda: T0)

    script = Script([
        claim,  # the first one: ours moves up
        claim,
        lambda: _progress(store, watched, 50),
        lambda: _progress(store, watched, 50),  # nothing new: nothing printed
        lambda: _progress(store, watched, 150),
        lambda: _finish(store, watched),
    ])  # fmt: skip
    code = follow(local_fetch(context, watched), lines.append, interval=0, sleep=script)
    assert code == 0
    assert lines[0].startswith(f"#{watched} org/second") and lines[0].endswith("PENDING")
    assert "waiting: position 2 in the queue" in lines
    assert "waiting: position 1 in the queue" in lines
    assert any("claim: claimed by w1" in line for line in lines)
    assert lines.count("progress 25% (50/200 lm-eval requests)") == 1
    assert "progress 75% (150/200 lm-eval requests)" in lines
    assert lines[-1] == f"#{watched} FINISHED: average 42.00"
    assert first != watched


def test_watch_exit_status_says_how_it_ended_locally_and_over_the_api(context: Context) -> None:
    store = context.store
    failed, cancelled, pending = (_request(store, f"org/{n}", minute=i)
                                  for i, n in enumerate(("a", "b", "c")))  # fmt: skip
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None and running.id == failed
    fail(store, running, actor="w1", at=T0, reason="tokenizer is missing")
    cancel_own(store, store.get_request(cancelled), user="alice", admin=False, at=T0, reason="typo")  # type: ignore[arg-type]
    lines: list[str] = []
    assert follow(local_fetch(context, failed), lines.append) == 1
    assert lines[-1] == f"#{failed} FAILED: harness error: tokenizer is missing"
    ticks = iter(range(100))
    assert follow(local_fetch(context, pending), lines.append, interval=0, timeout=3,
                  sleep=lambda _: None, clock=lambda: float(next(ticks))) == EXIT_GAVE_UP  # fmt: skip

    app = create_app(store, SUITES)
    with served(app) as url, httpx.Client(timeout=10) as client:
        lines.clear()
        assert follow(remote_fetch(url, cancelled, client), lines.append) == 3
        assert lines[-1] == f"#{cancelled} CANCELLED: typo"
        assert any("cancel: cancelled by alice: typo" in line for line in lines)
    runner = CliRunner()
    env = {"OPENBOARD_HOME": str(context.settings.home),
           "OPENBOARD_DATABASE_URL": context.settings.database_url}  # fmt: skip
    done = runner.invoke(cli, ["watch", str(failed)], env=env)
    assert done.exit_code == 1 and "tokenizer is missing" in done.output
    missing = runner.invoke(cli, ["watch", "999"], env=env)
    assert missing.exit_code == 1 and "no request #999" in missing.output


def test_a_submitter_cancels_only_their_own_pending_or_running_request(context: Context) -> None:
    store = context.store
    tokens = {n: add_user(store, n) for n in ("alice", "bob")}
    tokens["root"] = add_user(store, "root", Role.ADMIN)
    mine, running_one, theirs, finished = (
        _request(store, f"org/{n}", minute=i) for i, n in enumerate(("a", "b", "c", "d"))
    )
    app = create_app(store, SUITES)

    def api(name: str) -> TestClient:
        http = TestClient(app)
        http.headers["Authorization"] = f"Bearer {tokens[name]}"
        return http

    bob = api("bob").post(f"/api/requests/{mine}/cancel", json={"reason": "not mine"})
    assert bob.status_code == 403 and "alice's, not bob's" in bob.json()["detail"]
    assert store.get_request(mine).status is Status.PENDING  # type: ignore[union-attr]
    assert (
        api("alice")
        .post(f"/api/requests/{mine}/cancel", json={"reason": "wrong revision"})
        .status_code
        == 200
    )
    assert store.get_request(mine).status is Status.CANCELLED  # type: ignore[union-attr]
    again = api("alice").post(f"/api/requests/{mine}/cancel")
    assert again.status_code == 409 and "CANCELLED" in again.json()["detail"]
    audit = store.moderation.audit_log(0, 10)
    assert (audit[0].actor, audit[0].action, audit[0].reason) == (
        "alice",
        "request.cancel",
        "wrong revision",
    )

    # RUNNING: cancelled from the browser's queue page; the worker stops at its next heartbeat.
    claimed = claim_next(store, "w1", lambda: T0)
    assert claimed is not None and claimed.id == running_one
    browser = TestClient(app)
    sign_in(browser, "alice")
    page = browser.get("/queue").text
    assert f'action="/requests/{running_one}/cancel"' in page
    assert f'action="/requests/{theirs}/cancel"' in page  # alice submitted all four
    sign_in(bob_browser := TestClient(app), "bob")
    assert f'action="/requests/{theirs}/cancel"' not in bob_browser.get("/queue").text
    answer = browser.post(f"/requests/{running_one}/cancel",
                          data={"csrf_token": csrf(browser, "/queue")}, follow_redirects=False)  # fmt: skip
    assert answer.status_code == 303
    assert store.get_request(running_one).status is Status.CANCELLED  # type: ignore[union-attr]
    assert not store.queue.renew(running_one, claimed.attempts, lambda: T0, 60)

    # An admin may cancel anyone's; the transition table refuses a finished one for everybody.
    assert api("root").post(f"/api/requests/{theirs}/cancel").status_code == 200
    claimed = claim_next(store, "w1", lambda: T0)
    assert claimed is not None and claimed.id == finished
    _finish(store, finished)
    with pytest.raises(IllegalTransitionError, match="FINISHED to CANCELLED"):
        cancel_own(store, store.get_request(finished), user="alice", admin=False, at=T0, reason="x")  # type: ignore[arg-type]
    with pytest.raises(NotYourRequestError):
        cancel_own(store, store.get_request(finished), user="bob", admin=False, at=T0, reason="x")  # type: ignore[arg-type]


def test_the_cli_cancels_locally_as_a_user_and_over_the_api(
    context: Context, cli_env: dict[str, Any]
) -> None:
    store = context.store
    token = add_user(store, "alice")
    add_user(store, "bob")
    local, remote = _request(store, "org/a"), _request(store, "org/b", minute=1)
    runner = CliRunner()
    refused = runner.invoke(cli, ["cancel", str(local), "--user", "bob"], env=cli_env)
    assert refused.exit_code == 1 and "alice's, not bob's" in refused.output
    assert runner.invoke(cli, ["cancel", str(local), "--user", "alice"], env=cli_env).exit_code == 0
    assert store.get_request(local).status is Status.CANCELLED  # type: ignore[union-attr]
    with served(create_app(store, SUITES)) as url:
        done = runner.invoke(cli, ["cancel", str(remote), "--server", url, "--reason", "dup"],
                             env={**cli_env, "OPENBOARD_TOKEN": token})  # fmt: skip
    assert done.exit_code == 0, done.output
    assert store.get_request(remote).failure_reason == "dup"  # type: ignore[union-attr]


def _order(store: Store, ids: dict[str, int]) -> list[str]:
    names = {i: m for m, i in ids.items()}
    return [names[i] for i in store.queue.pending_in_order()]


def test_votes_order_requests_inside_fair_share_and_never_above_priority(context: Context) -> None:
    store = context.store
    for name in ("v1", "v2", "v3"):
        store.accounts.add_user(name, None, Role.SUBMITTER, "test", T0)
    ids = {m: _request(store, m, minute=i) for i, m in enumerate(["a/1", "a/2", "a/3", "b/1"])}
    assert _order(store, ids) == ["a/1", "b/1", "a/2", "a/3"]
    for voter in ("v1", "v2"):
        store.votes.vote(ids["a/3"], voter, T0, per_hour=10)
    # a's most-voted request takes a's first turn, and wins the tie with b's first turn; a's next
    # request still waits for b's turn.
    assert _order(store, ids) == ["a/3", "b/1", "a/1", "a/2"]
    for voter in ("v1", "v2", "v3"):
        store.votes.vote(ids["b/1"], voter, T0, per_hour=10)
    assert _order(store, ids) == ["b/1", "a/3", "a/1", "a/2"]
    # However many votes a/1 gets, a has one turn per round: b's goes first if a already runs.
    claimed = claim_next(store, "w1", lambda: T0)
    assert claimed is not None and claimed.id == ids["b/1"]
    store.votes.vote(ids["a/1"], "v3", T0, per_hour=10)
    assert _order(store, ids) == ["a/3", "a/1", "a/2"]
    store.set_priority(ids["a/2"], 5, "admin", T0)
    assert _order(store, ids)[0] == "a/2"  # an admin's priority comes before votes
    assert store.votes.counts() == {ids["a/3"]: 2, ids["b/1"]: 3, ids["a/1"]: 1}


def test_one_vote_per_user_per_pending_request_not_ones_own_and_rate_limited(
    context: Context, cli_env: dict[str, Any]
) -> None:
    store = context.store
    tokens = {n: add_user(store, n) for n in ("alice", "bob")}
    tokens["root"] = add_user(store, "root", Role.ADMIN)
    first, second, third, fourth = (
        _request(store, f"org/{n}", minute=i) for i, n in enumerate("abcd")
    )
    app = create_app(store, SUITES, votes_per_hour=2)

    def api(name: str) -> TestClient:
        http = TestClient(app)
        http.headers["Authorization"] = f"Bearer {tokens[name]}"
        return http

    assert api("bob").post(f"/api/requests/{first}/vote").json()["votes"] == 1
    twice = api("bob").post(f"/api/requests/{first}/vote")
    assert twice.status_code == 409 and "already voted" in twice.json()["detail"]
    own = api("alice").post(f"/api/requests/{first}/vote")
    assert own.status_code == 409 and "your own" in own.json()["detail"]
    assert api("root").post(f"/api/requests/{first}/vote").json()["votes"] == 2
    assert api("bob").delete(f"/api/requests/{first}/vote").json() == {
        "request_id": first, "removed": True, "votes": 1}  # fmt: skip
    assert api("bob").post(f"/api/requests/{second}/vote").status_code == 200
    assert api("bob").post(f"/api/requests/{fourth}/vote").status_code == 200
    limited = api("bob").post(f"/api/requests/{third}/vote")  # two standing votes this hour
    assert limited.status_code == 429 and "at most 2 an hour" in limited.json()["detail"]
    store.votes.unvote(first, "root")
    store.votes.vote(third, "root", T0, per_hour=5)
    store.votes.vote(fourth, "root", T0, per_hour=5)
    claimed = claim_next(store, "w1", lambda: T0)
    assert claimed is not None and claimed.id == fourth  # the most-voted of org's requests
    running = api("root").post(f"/api/requests/{fourth}/vote")
    assert (
        running.status_code == 409
        and "only pending requests take votes" in running.json()["detail"]
    )

    browser = TestClient(app)
    sign_in(browser, "bob")
    page = browser.get("/queue").text
    assert "▲ 1 vote<" in page and "▲ 0 votes" in page
    assert f'action="/requests/{first}/vote"' in page  # someone else's pending request
    alices = TestClient(app)
    sign_in(alices, "alice")
    assert f'action="/requests/{first}/vote"' not in alices.get("/queue").text  # her own
    assert "Take back my vote" in page  # bob's vote on the second
    taken_back = browser.post(f"/requests/{second}/vote", data={"action": "unvote",
                              "csrf_token": csrf(browser, "/queue")}, follow_redirects=False)  # fmt: skip
    assert taken_back.status_code == 303 and store.votes.counts([second]) == {}
    assert "Take back my vote" not in browser.get("/queue").text

    runner = CliRunner()
    env = {**cli_env, "OPENBOARD_VOTES_PER_HOUR": "5"}
    assert runner.invoke(cli, ["vote", str(first), "--user", "root"], env=env).output.strip() == (
        f"request #{first}: 1 vote")  # fmt: skip
    again = runner.invoke(cli, ["vote", str(first), "--user", "root"], env=env)
    assert again.exit_code == 1 and "already voted" in again.output
    undone = runner.invoke(cli, ["vote", str(first), "--undo", "--user", "root"], env=env)
    assert undone.exit_code == 0 and f"request #{first}: 0 votes" in undone.output
