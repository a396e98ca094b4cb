"""Webhooks against a real HTTP receiver on an ephemeral port: signed, retried with backoff until a
failing receiver recovers, every attempt logged, never in the way of the queue."""

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app as cli
from openboard.cli._context import Context
from openboard.domain import BenchmarkScore, FailureKind, Role, TaskScore
from openboard.evaluation import SUITES
from openboard.notify import (
    DELIVERY_HEADER,
    EVENT_HEADER,
    SIGNATURE_HEADER,
    DeliverySettings,
    Notifier,
    SignatureError,
    WebhookNotFoundError,
    WebhookService,
    WebhookTargetError,
    next_attempt,
    retry_delay,
    sign,
    verify,
)
from openboard.queue import claim_next, fail, finish
from openboard.store import Store, User
from openboard.web import create_app

from .conftest import POSTGRES_SERVER
from .test_store import T0, new_request
from .test_store import store as store
from .web_helpers import add_user, csrf, sign_in

sqlite_only = pytest.mark.skipif(bool(POSTGRES_SERVER), reason="no database: SQLite pass only")


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A local HTTP server: answers `codes` in turn (then 200), or hangs while `hang` is set."""

    codes: list[int] = field(default_factory=list)
    got: list[Received] = field(default_factory=list)
    hang: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""

    def answer(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length", "0"))
        self.got.append(Received(handler.path, dict(handler.headers), handler.rfile.read(length)))
        if self.hang.is_set():
            self.release.wait(30)
        code = self.codes.pop(0) if self.codes else 200
        handler.send_response(code)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    def events(self, path: str = "/") -> list[str]:
        return [json.loads(r.body)["event"] for r in self.got if r.path == path]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            state.answer(self)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _user(store: Store, name: str = "alice", role: Role = Role.SUBMITTER) -> User:
    return store.accounts.add_user(name, None, role, "test", T0, None)


def _notifier(store: Store, clock: Clock, **settings: object) -> Notifier:
    return Notifier(store, DeliverySettings(allow_private_targets=True, **settings), clock)  # type: ignore[arg-type]


def _drain(notifier: Notifier) -> None:
    while notifier.run_once():
        pass


def _finish(store: Store, clock: Clock, request_id: int) -> None:
    request = claim_next(store, "w1", clock)
    assert request is not None and request.id == request_id
    finish(
        store, request, actor="w1", at=clock(), average=61.5, eval_seconds=3.0, co2_kg=0.0,
        task_scores=[TaskScore("ifeval", "ifeval", "acc", 0.6, 0.01, 2, 61.5, 10)],
        benchmark_scores=[BenchmarkScore("ifeval", 0.6, 61.5)],
    )  # fmt: skip


@sqlite_only
def test_signature_verifies_and_refuses_tampering_a_wrong_key_and_old_timestamps() -> None:
    body = b'{"event":"request.finished"}'
    header = sign("s3cret", 1_000_000, body)
    verify("s3cret", header, body, now=1_000_010)
    with pytest.raises(SignatureError, match="does not match"):
        verify("s3cret", header, body.replace(b"finished", b"failed"), now=1_000_010)
    with pytest.raises(SignatureError, match="does not match"):
        verify("other", header, body, now=1_000_010)
    with pytest.raises(SignatureError, match="from now"):
        verify("s3cret", header, body, now=1_000_000 + 301)
    with pytest.raises(SignatureError, match="malformed"):
        verify("s3cret", "v1=abc", body, now=1_000_000)


@sqlite_only
def test_backoff_doubles_up_to_a_cap_and_gives_up_after_the_last_attempt() -> None:
    assert [retry_delay(n, 30) for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert retry_delay(30, 30) == 6 * 3600
    assert next_attempt(2, 3, 30, T0) == T0 + timedelta(seconds=60)
    assert next_attempt(3, 3, 30, T0) is None


def test_each_event_reaches_its_subscribers_signed_with_their_secret(
    store: Store, receiver: Receiver
) -> None:
    clock = Clock()
    alice, _ = _user(store), _user(store, "bob")
    webhooks = WebhookService(store, clock, allow_private_targets=True)
    mine = webhooks.add(alice, receiver.url + "/alice")
    board_url = receiver.url + "/board"
    notifier = _notifier(store, clock, urls=(board_url,), secret="board-key")

    request = store.add_request(new_request(model="org/m"), "alice")
    bobs = store.add_request(replace(new_request(model="bob/m"), sender="bob"), "bob")
    _finish(store, clock, request.id)
    _drain(notifier)

    assert receiver.events("/alice") == ["request.queued", "request.started", "request.finished"]
    assert receiver.events("/board").count("request.queued") == 2  # alice's and bob's
    ids = set()
    for got in receiver.got:
        secret = mine.secret if got.path == "/alice" else "board-key"
        verify(secret, got.headers[SIGNATURE_HEADER], got.body, now=time.time())
        payload = json.loads(got.body)
        assert got.headers[EVENT_HEADER] == payload["event"]
        assert got.headers[DELIVERY_HEADER] == payload["id"]
        ids.add(payload["id"])
        if got.path == "/alice":
            with pytest.raises(SignatureError):
                verify("board-key", got.headers[SIGNATURE_HEADER], got.body, now=time.time())
    assert len(ids) == len(receiver.got)  # one idempotency id per delivery
    finished = next(json.loads(g.body) for g in receiver.got
                    if g.path == "/alice" and b"request.finished" in g.body)  # fmt: skip
    assert finished["request"]["scores"] == {"ifeval": 61.5}
    assert finished["request"]["average"] == 61.5
    assert {d.state for d in webhooks.deliveries(alice)} == {"delivered"}
    assert bobs.sender == "bob"


def test_a_receiver_that_fails_twice_gets_the_event_on_the_third_try(
    store: Store, receiver: Receiver
) -> None:
    clock = Clock()
    alice = _user(store)
    WebhookService(store, clock, allow_private_targets=True).add(
        alice, receiver.url, ["request.failed"]
    )
    notifier = _notifier(store, clock, backoff_seconds=30)
    request = store.add_request(new_request(), "alice")
    running = claim_next(store, "w1", clock)
    assert running is not None
    fail(
        store,
        running,
        actor="w1",
        at=clock(),
        reason="CUDA out of memory",
        kind=FailureKind.OUT_OF_MEMORY,
    )
    receiver.codes = [500, 503]

    _drain(notifier)
    assert len(receiver.got) == 1  # the retry is not due yet
    clock.now += timedelta(seconds=30)
    _drain(notifier)
    assert len(receiver.got) == 2
    clock.now += timedelta(seconds=59)
    _drain(notifier)
    assert len(receiver.got) == 2  # the second retry waits twice as long
    clock.now += timedelta(seconds=1)
    _drain(notifier)

    assert len(receiver.got) == 3
    assert len({r.headers[DELIVERY_HEADER] for r in receiver.got}) == 1  # the same delivery
    assert len({r.body for r in receiver.got}) == 1
    payload = json.loads(receiver.got[-1].body)
    assert payload["request"]["id"] == request.id
    assert payload["request"]["failure_reason"] == "CUDA out of memory"
    [delivery] = store.webhooks.deliveries("alice")
    logged = store.webhooks.delivery(delivery.id)
    assert logged is not None and logged.state == "delivered"
    assert [(a.status_code, a.error) for a in logged.history] == [
        (500, "HTTP 500"), (503, "HTTP 503"), (200, None)
    ]  # fmt: skip


def test_a_hanging_receiver_holds_up_neither_the_queue_nor_other_deliveries(
    store: Store, receiver: Receiver
) -> None:
    clock = Clock()
    alice = _user(store)
    service = WebhookService(store, clock, allow_private_targets=True)
    service.add(alice, receiver.url + "/slow")
    service.add(alice, receiver.url + "/fast")
    notifier = _notifier(store, clock, timeout_seconds=1.0)
    receiver.hang.set()
    first = store.add_request(new_request(), "alice")

    delivering = threading.Thread(target=notifier.run_once)
    delivering.start()
    while len(receiver.got) < 2:  # both POSTs are in flight, the receiver holds both
        time.sleep(0.01)
    # While the receiver hangs, the queue goes on: a claim and a new submission.
    assert claim_next(store, "w1", clock) is not None
    second = store.add_request(new_request(revision="b" * 40), "alice")
    assert second.id != first.id
    receiver.hang.clear()
    delivering.join()  # each stuck POST ends at its timeout
    deliveries = store.webhooks.deliveries("alice")
    assert {d.last_error for d in deliveries if d.attempts} == {"ReadTimeout: timed out"}
    assert all(d.state == "pending" for d in deliveries)  # retried later, not lost


def test_flags_reach_the_submitters_of_the_model_and_resend_repeats_the_same_delivery(
    store: Store, receiver: Receiver
) -> None:
    clock = Clock()
    alice = _user(store)
    WebhookService(store, clock, allow_private_targets=True).add(
        alice, receiver.url, ["model.flagged"]
    )
    store.add_request(new_request(model="org/m"), "alice")
    store.moderation.flag("org/m", "contaminated with the test set", None, "admin", T0)
    store.moderation.flag("other/m", "nobody's", None, "admin", T0)
    receiver.codes = [500]
    _drain(_notifier(store, clock, max_attempts=1))
    [delivery] = store.webhooks.deliveries("alice")
    assert delivery.state == "failed" and delivery.event == "model.flagged"
    assert json.loads(delivery.body)["model"] == "org/m"

    bob = _user(store, "bob")
    with pytest.raises(WebhookNotFoundError):
        WebhookService(store, clock).resend(bob, delivery.id)
    WebhookService(store, clock).resend(alice, delivery.id)
    _drain(_notifier(store, clock, max_attempts=1))
    again = store.webhooks.delivery(delivery.id)
    assert again is not None and again.state == "delivered"
    assert [r.headers[DELIVERY_HEADER] for r in receiver.got] == [delivery.delivery_id] * 2


def test_users_webhooks_may_not_point_inside_the_servers_network(
    store: Store, receiver: Receiver
) -> None:
    clock = Clock()
    alice = _user(store)
    with pytest.raises(WebhookTargetError, match="not a public address"):
        WebhookService(store, clock).add(alice, receiver.url)
    with pytest.raises(WebhookTargetError, match="http"):
        WebhookService(store, clock).add(alice, "file:///etc/passwd")
    # One registered while allowed is refused at delivery once the operator disallows it.
    WebhookService(store, clock, allow_private_targets=True).add(alice, receiver.url)
    store.add_request(new_request(), "alice")
    notifier = Notifier(store, DeliverySettings(max_attempts=1), clock)
    _drain(notifier)
    assert receiver.got == []
    [delivery] = store.webhooks.deliveries("alice")
    assert delivery.state == "failed" and "not a public address" in (delivery.last_error or "")


def test_a_delivery_connects_to_the_address_it_checked_not_a_second_dns_answer(
    store: Store,
) -> None:
    """DNS rebinding: the first answer is public, a later one points inside. The POST goes to the
    checked address (the Host header and TLS name the host), so no second lookup can redirect it."""
    clock = Clock()
    alice = _user(store)
    url = "https://hooks.example.org:8443/in"
    WebhookService(store, clock, allow_private_targets=True).add(alice, url)
    answers = [["93.184.215.14"], ["127.0.0.1"]]
    lookups: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        lookups.append((host, port))
        return answers[min(len(lookups), len(answers)) - 1]

    # The public receiver is out of this machine's reach: a transport stands in for it.
    seen: list[httpx.Request] = []
    receiver = httpx.Client(transport=httpx.MockTransport(
        lambda request: seen.append(request) or httpx.Response(204)
    ))  # fmt: skip
    notifier = Notifier(store, DeliverySettings(max_attempts=1), clock, client=receiver,
                        resolve=resolve)  # fmt: skip
    store.add_request(new_request(), "alice")
    _drain(notifier)
    [request] = seen
    assert lookups == [("hooks.example.org", 8443)]
    assert (request.url.host, request.url.port, request.url.path) == ("93.184.215.14", 8443, "/in")
    assert request.headers["Host"] == "hooks.example.org:8443"
    assert request.extensions["sni_hostname"] == "hooks.example.org"
    # The next event finds the host rebound inside the network: refused, nothing sent.
    store.add_request(new_request(revision="b" * 40), "alice")
    _drain(notifier)
    assert len(seen) == 1
    failed = [d for d in store.webhooks.deliveries("alice") if d.state == "failed"]
    assert len(failed) == 1 and "127.0.0.1" in (failed[0].last_error or "")


def test_the_account_page_and_api_manage_only_ones_own_webhooks(
    context: Context, receiver: Receiver
) -> None:
    store = context.store
    tokens = {name: add_user(store, name) for name in ("alice", "bob")}
    tokens["root"] = add_user(store, "root", Role.ADMIN)
    app = create_app(store, SUITES, webhook_allow_private_targets=True)

    def api(name: str) -> TestClient:
        http = TestClient(app)
        http.headers["Authorization"] = f"Bearer {tokens[name]}"
        return http

    added = api("alice").post(
        "/api/webhooks", json={"url": receiver.url, "events": ["request.queued"]}
    )
    assert added.status_code == 201 and len(added.json()["secret"]) >= 40
    bad = api("alice").post("/api/webhooks", json={"url": receiver.url, "events": ["nope"]})
    assert bad.status_code == 400 and "unknown webhook event nope" in bad.json()["detail"]
    hook_id = added.json()["id"]
    assert api("bob").get("/api/webhooks").json()["webhooks"] == []
    assert "secret" not in api("alice").get("/api/webhooks").json()["webhooks"][0]
    assert api("bob").delete(f"/api/webhooks/{hook_id}").status_code == 404

    store.add_request(new_request(), "alice")
    receiver.codes = [500]
    _drain(_notifier(store, Clock(), max_attempts=1))
    [delivery] = api("alice").get("/api/webhooks/deliveries").json()["deliveries"]
    assert delivery["state"] == "failed" and delivery["history"][0]["status_code"] == 500
    assert api("bob").get("/api/webhooks/deliveries").json()["deliveries"] == []
    assert api("bob").post(f"/api/webhooks/deliveries/{delivery['id']}/resend").status_code == 404
    assert api("root").post(f"/api/webhooks/deliveries/{delivery['id']}/resend").status_code == 200
    everyone = api("root").get("/api/webhooks/deliveries?everyone=true").json()["deliveries"]
    assert [d["state"] for d in everyone] == ["pending"]

    browser = TestClient(app)
    sign_in(browser, "alice")
    page = browser.get("/account")
    assert receiver.url in page.text and "request.queued" in page.text
    form = {"action": "add", "url": receiver.url + "/2", "event.request.failed": "1",
            "csrf_token": csrf(browser, "/account")}  # fmt: skip
    shown = browser.post("/account/webhooks", data=form)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "no-store"
    [second] = [h for h in store.webhooks.hooks("alice") if h.url.endswith("/2")]
    assert second.events == ("request.failed",) and second.secret in shown.text
    assert second.secret not in browser.get("/account").text  # shown that once
    admin = TestClient(app)
    sign_in(admin, "root")
    assert f"<td>{delivery['id']}</td>" in admin.get("/admin").text


def test_the_cli_adds_lists_delivers_and_resends(
    context: Context, cli_env: dict[str, str], receiver: Receiver
) -> None:
    env = {**cli_env, "OPENBOARD_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
           "OPENBOARD_WEBHOOK_URLS": json.dumps([receiver.url + "/board"]),
           "OPENBOARD_WEBHOOK_SECRET": "board-key"}  # fmt: skip
    runner = CliRunner()
    added = runner.invoke(cli, ["webhooks", "add", receiver.url + "/ops", "--event",
                                "request.queued"], env=env)  # fmt: skip
    assert added.exit_code == 0, added.output
    secret = added.output.rsplit(": ", 1)[1].strip()
    context.store.add_request(new_request(), "alice")
    receiver.codes = [500, 500]
    env["OPENBOARD_WEBHOOK_MAX_ATTEMPTS"] = "1"
    delivered = runner.invoke(cli, ["notify", "--once"], env=env)
    assert delivered.exit_code == 0, delivered.output
    assert sorted(r.path for r in receiver.got) == ["/board", "/ops"]
    failed = json.loads(runner.invoke(cli, ["webhooks", "deliveries", "--state", "failed",
                                            "--json"], env=env).output)  # fmt: skip
    assert len(failed) == 2 and all(d["history"][0]["status_code"] == 500 for d in failed)
    for d in failed:
        assert runner.invoke(cli, ["webhooks", "resend", str(d["id"])], env=env).exit_code == 0
    assert runner.invoke(cli, ["notify", "--once"], env=env).exit_code == 0
    ops = [r for r in receiver.got if r.path == "/ops"]
    assert len(ops) == 2 and ops[0].body == ops[1].body
    verify(secret, ops[1].headers[SIGNATURE_HEADER], ops[1].body, now=time.time())
    listed = runner.invoke(cli, ["webhooks", "list"], env=env)
    assert "/ops" in listed.output and "board" in listed.output
    missing = runner.invoke(cli, ["webhooks", "resend", "999"], env=env)
    assert missing.exit_code != 0 and "no webhook delivery #999" in missing.output
