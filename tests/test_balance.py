"""Kept-alive connections spread over `serve --workers N`: the share rule, the middleware that
closes a connection above its share, and that closing converges (test_serve.py: real processes)."""

import math
import random

from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from openboard.cli._balance import BalancedConnections, ConnectionShares, over_share


@given(st.lists(st.integers(0, 50), min_size=1, max_size=8), st.data())
def test_a_process_is_over_its_share_above_an_even_split_rounded_up(
    counts: list[int], data: st.DataObject
) -> None:
    index = data.draw(st.integers(0, len(counts) - 1))
    even = math.ceil(sum(counts) / len(counts))
    assert over_share(counts[index], counts) is (counts[index] > even)
    assert not all(over_share(held, counts) for held in counts)  # someone is within


@settings(max_examples=200)
@given(
    st.lists(st.integers(0, 40), min_size=2, max_size=6),
    st.integers(0, 2**32 - 1),
    st.floats(0.05, 1.0),
)
def test_closing_above_the_share_ends_in_an_even_split(
    counts: list[int], seed: int, ticking: float
) -> None:
    """A process over its share closes a connection; its client connects again wherever the
    kernel's hash puts it (at random); the processes publish their counts on their ticks (after
    some closes, not every one). It ends with no process above an even share. The walk's random
    choices come from a seeded generator: drawn one by one from Hypothesis (`st.randoms`), a long
    walk ran past its data per example, and a busy machine failed the too-slow health check."""
    rng = random.Random(seed)
    held = list(counts)
    slots = list(counts)
    shares = [ConnectionShares(slots, i) for i in range(len(slots))]
    ticked = False  # every process published its count since the last close
    for step in range(10_000):  # noqa: B007  (read after the loop)
        closing = [i for i, share in enumerate(shares) if share.take_one_to_close()]
        if not closing:
            if ticked:
                break
            for i, share in enumerate(shares):
                share.record(held[i])
            ticked = True
            continue
        ticked = False
        for process in closing:
            held[process] -= 1
            held[rng.randrange(len(held))] += 1  # the connection made again
        for i, share in enumerate(shares):
            if rng.random() < ticking:
                share.record(held[i])
    assert step < 9_999 and sum(held) == sum(counts)
    assert max(held) <= math.ceil(sum(held) / len(held))


def _balanced(
    slots: list[int], index: int, headers: dict[str, str] | None = None
) -> BalancedConnections:
    async def hello(request: Request) -> PlainTextResponse:
        return PlainTextResponse("hello", headers=headers)

    return BalancedConnections(
        Starlette(routes=[Route("/", hello)]), ConnectionShares(slots, index)
    )


def _app(slots: list[int], index: int, headers: dict[str, str] | None = None) -> TestClient:
    return TestClient(_balanced(slots, index, headers))


def test_a_response_above_the_share_closes_its_connection_once() -> None:
    slots = [10, 6]  # an even share is 8: process 0 holds two too many
    balanced = _balanced(slots, 0)
    with TestClient(balanced) as http:
        answers = [http.get("/") for _ in range(4)]
    assert [a.text for a in answers] == ["hello"] * 4  # every response whole
    assert [a.headers.get("connection") for a in answers] == ["close", "close", None, None]
    assert slots == [10, 6]  # as published; this process counts its two closes until its tick
    counted = [s.value for s in balanced.closed.collect()[0].samples if s.name.endswith("_total")]
    assert counted == [2.0]  # what /metrics counts


def test_a_process_within_its_share_keeps_its_connections() -> None:
    slots = [6, 10]
    with _app(slots, 0) as http:
        assert http.get("/").headers.get("connection") is None
    assert slots == [6, 10]


def test_the_close_replaces_a_connection_header_of_the_app() -> None:
    slots = [3, 0]
    with _app(slots, 0, headers={"Connection": "keep-alive"}) as http:
        assert http.get("/").headers.get_list("connection") == ["close"]
