"""Atom feeds of new results: the board's, a model's, a submitter's; hidden results stay out."""

from collections.abc import Iterator
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from openboard.cli._context import Context
from openboard.evaluation import SUITES
from openboard.web import create_app

from .test_board import add_board_models

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def http(context: Context) -> Iterator[TestClient]:
    add_board_models(context.store)
    hidden = next(r for r in context.store.list_requests() if r.model == "tiny/edge-1b")
    context.store.moderation.set_hidden(hidden.id, True, "admin", datetime.now(UTC), "spam")
    with TestClient(create_app(context.store, SUITES)) as client:
        yield client


def entries(http: TestClient, path: str) -> tuple[ET.Element, list[ET.Element]]:
    answer = http.get(path)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("application/atom+xml")
    feed = ET.fromstring(answer.content)
    assert feed.tag == f"{ATOM}feed"
    return feed, feed.findall(f"{ATOM}entry")


def test_the_board_feed_lists_new_results_newest_first_without_hidden_ones(
    http: TestClient,
) -> None:
    feed, found = entries(http, "/feeds/results.atom")
    titles = [e.findtext(f"{ATOM}title") or "" for e in found]
    # All finished at the same time: the newest request first; the hidden one is left out.
    assert [t.split(":")[0] for t in titles] == [
        "merger/frankenmoe",
        "mistral/mistral-7b",
        "meta/llama-70b",
        "meta/llama-7b",
    ]
    for entry in found:
        link = entry.find(f"{ATOM}link")
        assert link is not None and link.get("href", "").startswith("http://testserver/models/")
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == "alice"
        assert (entry.findtext(f"{ATOM}updated") or "").endswith("Z")
    ids = [e.findtext(f"{ATOM}id") for e in found]
    assert len(set(ids)) == len(ids)
    assert feed.findtext(f"{ATOM}updated") == max(e.findtext(f"{ATOM}updated") or "" for e in found)


def test_a_model_feed_and_a_submitter_feed(http: TestClient) -> None:
    _, found = entries(http, "/feeds/models/meta/llama-70b.atom")
    assert [e.findtext(f"{ATOM}title") for e in found] == ["meta/llama-70b: 70.00 (starter)"]
    _, none = entries(http, "/feeds/submitters/nobody.atom")
    assert none == []
    _, alices = entries(http, "/feeds/submitters/alice.atom")
    assert len(alices) == 4
    assert http.get("/feeds/models/bad..id/x.atom").status_code == 404
    assert http.get("/feeds/submitters/a%00b.atom").status_code == 404
