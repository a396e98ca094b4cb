"""The model page's rank and board medians: read as the board reads its pages, from the read
model and from SQL alone, so that a rank is the evaluation's row on the default board."""

import re
import statistics
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from openboard.cli._context import Context
from openboard.domain import Precision
from openboard.evaluation import SUITES
from openboard.web import create_app

from .test_board import BENCHMARKS, T0, add_board_models, add_finished


@pytest.fixture(params=["read model", "sql"])
def site(context: Context, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    store = context.store
    add_board_models(store)
    # Equal averages (50, as mistral/mistral-7b's): the board puts the newer id first.
    add_finished(store, "tie/first", (40, 60, 50))
    add_finished(store, "tie/second", (50, 40, 60))
    add_finished(store, "meta/llama-70b", (30, 30, 30), precision=Precision.FLOAT16)
    store.moderation.flag("merger/frankenmoe", "contaminated", "https://example.org/r", "root", T0)
    app = create_app(store, SUITES, board_read_model=request.param == "read model")
    with TestClient(app) as http:
        yield http


def _board(http: TestClient, query: str = "") -> list[dict[str, object]]:
    payload = http.get(f"/api/leaderboard?per_page=25{query}").json()
    rows: list[dict[str, object]] = payload["rows"]
    assert payload["total"] == len(rows)
    return rows


def test_a_rank_is_the_row_on_the_default_board(site: TestClient) -> None:
    rows = _board(site)
    assert [r["model"] for r in rows][1:4] == ["tie/second", "tie/first", "mistral/mistral-7b"]
    for row in rows:
        evaluations = site.get(f"/api/models/{row['model']}").json()["evaluations"]
        (mine,) = [e for e in evaluations if e["id"] == row["request_id"]]
        assert mine["rank"]["position"] == row["rank"], row["model"]
        assert mine["rank"]["of"] == len(rows) == 7
        assert mine["board"]["url"] == "/" and mine["board"]["name"] == "the default board"
    page = site.get("/models/tie/first").text
    assert re.search(r"Rank</span><strong>3<small> of 7</small>", page)
    assert 'on <a href="/">the default board</a>' in page
    # Off the default board (flagged): no rank, and the page says why.
    (flagged,) = site.get("/api/models/merger/frankenmoe").json()["evaluations"]
    assert flagged["rank"] is None and flagged["board"]["evaluations"] == 7
    assert "not on the default board" in site.get("/models/merger/frankenmoe").text
    # Both evaluations of one model rank on their own rows.
    ranks = {
        e["precision"]: e["rank"]["position"]
        for e in site.get("/api/models/meta/llama-70b").json()["evaluations"]
    }
    assert ranks == {"bfloat16": 1, "float16": 6}


def test_the_medians_are_the_default_boards(site: TestClient, context: Context) -> None:
    rows = _board(site)
    (e,) = site.get("/api/models/tiny/edge-1b").json()["evaluations"]
    expected = {
        b: statistics.median(r["scores"][b]["normalized"] for r in rows)  # type: ignore[index]
        for b in BENCHMARKS
    }
    assert e["board"]["medians"] == pytest.approx(expected)
    assert e["board"]["medians"]["starter_bbh"] == 50  # the flagged model's 90 left out
    page = site.get("/models/tiny/edge-1b").text
    figure = page[page.index('<figure class="model-chart">') : page.index("</figure>")]
    assert 'data-kind="model"' in figure and f'data-evaluation="{e["id"]}"' in figure
    assert "BBH (generated) 20.00 (median 50.00)" in figure  # the numbers without the chart
    assert page.count('src="/vendor/plotly.min.js"') == 1
    # A new result moves the ranks (the read model follows the database).
    add_finished(context.store, "new/best", (99, 99, 99))
    (e,) = site.get("/api/models/tiny/edge-1b").json()["evaluations"]
    assert e["rank"] == {"position": 8, "of": 8, "page_url": "/"}
    assert e["board"]["medians"]["starter_bbh_generative"] == 45  # was 40: not kept past a change
    assert _board(site)[-1]["model"] == "tiny/edge-1b"
