"""The board's confidence marks: each row's 95% interval, ties with the row above and rank ranges
under the view's filters and sort, the same from the read model and from SQL, in the JSON twin,
the HTML and the exports."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from openboard.cli._context import Context
from openboard.domain import AVERAGE, IntervalMethod, ScoreInterval
from openboard.evaluation import OUTCOMES_FILE, STARTER, SUITES, write_outcomes
from openboard.stats import BenchmarkOutcomes, TaskOutcomes
from openboard.store import BoardQuery, Store
from openboard.web import create_app

from .test_board import BENCHMARKS, T0, add_board_models

# Averages: llama-70b 70, mistral 50, llama-7b 40, frankenmoe 38.33, edge 20 (add_board_models).
AVERAGE_INTERVALS = {
    "meta/llama-70b": (66.0, 74.0),
    "mistral/mistral-7b": (45.0, 55.0),
    "meta/llama-7b": (36.0, 44.0),
    "merger/frankenmoe": (35.0, 42.0),  # overlaps llama-7b's
    "tiny/edge-1b": (15.0, 25.0),
}


def add_intervals(store: Store) -> None:
    for request in store.list_requests():
        low, high = AVERAGE_INTERVALS[request.model]
        bbh = next(b for b in store.scores_by_benchmark(request.id) if b.benchmark == BENCHMARKS[0])
        store.intervals.replace(request.id, [
            ScoreInterval(BENCHMARKS[0], bbh.normalized, bbh.normalized - 1, bbh.normalized + 1,
                          IntervalMethod.BOOTSTRAP, 1000, 300),
            ScoreInterval(AVERAGE, request.average or 0.0, low, high, IntervalMethod.BOOTSTRAP,
                          1000, 900),
        ], actor="test", at=T0)  # fmt: skip


@pytest.fixture(params=["read model", "sql"])
def board(context: Context, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    add_board_models(context.store)
    add_intervals(context.store)
    app = create_app(context.store, SUITES, official=frozenset({"meta"}),
                     board_read_model=request.param == "read model")  # fmt: skip
    with TestClient(app) as http:
        yield http


def rows(http: TestClient, query: str) -> list[dict[str, object]]:
    response = http.get(f"/api/leaderboard?{query}")
    assert response.status_code == 200, response.text
    found: list[dict[str, object]] = response.json()["rows"]
    return found


def test_rank_ranges_ties_and_intervals_follow_the_view(board: TestClient) -> None:
    found = rows(board, "col=rank_range&col=ci")
    assert [r["model"] for r in found] == list(AVERAGE_INTERVALS)
    assert [r["ci"] for r in found] == [list(v) for v in AVERAGE_INTERVALS.values()]
    assert [r["rank_range"] for r in found] == [[1, 1], [2, 2], [3, 4], [3, 4], [5, 5]]
    assert [r["tied"] for r in found] == [False, False, False, True, False]
    # A filter changes the view, and so the ranges: without the merge, llama-7b is alone at 3.
    assert [r["rank_range"] for r in rows(board, "col=rank_range&hide=merged")] == [
        [1, 1], [2, 2], [3, 3], [4, 4]
    ]  # fmt: skip
    # Ascending, the lowest ranks first.
    ascending = rows(board, "col=rank_range&dir=asc")
    assert [r["rank_range"] for r in ascending] == [[1, 1], [2, 3], [2, 3], [4, 4], [5, 5]]
    # Sorted by a benchmark: its intervals (±1 around 90, 80, 60, 50, 20: no overlaps).
    by_bbh = rows(board, f"col=rank_range&sort={BENCHMARKS[0]}")
    assert [r["rank_range"] for r in by_bbh] == [[n, n] for n in range(1, 6)]
    assert not any(r["tied"] for r in by_bbh)
    # Without the column, no ranges are computed; the interval and the tie still are.
    plain = rows(board, "")
    assert [r["rank_range"] for r in plain] == [None] * 5 and plain[3]["tied"] is True
    # Raw scores have no intervals to rank by.
    assert all(r["ci"] is None and not r["tied"] for r in rows(board, "scores=raw&col=ci"))


def test_the_html_shows_the_columns_and_the_tie(board: TestClient) -> None:
    page = board.get("/?col=rank_range&col=ci").text
    assert ">Rank range</th>" in page and ">95% CI</th>" in page
    assert ">3–4</td>" in page and ">36.00–44.00</td>" in page
    assert page.count('class="tie"') == 1 and "tied with the row above" in page


def test_exports_carry_intervals_and_rank_ranges(board: TestClient) -> None:
    records = list(csv.DictReader(io.StringIO(board.get("/leaderboard.csv").text)))
    assert [(r["Rank best"], r["Rank worst"]) for r in records] == [
        ("1", "1"), ("2", "2"), ("3", "4"), ("3", "4"), ("5", "5")
    ]  # fmt: skip
    assert records[2]["95% CI low"] == "36.0" and records[3]["Statistically tied"] == "True"
    table = pq.read_table(io.BytesIO(board.get("/leaderboard.parquet").content))
    assert table.column("Rank worst").to_pylist() == [1, 2, 4, 4, 5]
    assert table.column("95% CI high").to_pylist() == [74.0, 55.0, 44.0, 42.0, 25.0]


def test_a_page_after_the_first_is_marked_against_the_row_above_it(context: Context) -> None:
    store = context.store
    add_board_models(store)
    add_intervals(store)
    query = BoardQuery(suite="starter", benchmarks=BENCHMARKS, offset=3, limit=2, rank_ranges=True)
    from_sql = store.board_in_sql(query).rows
    store.start_board_model()
    try:
        in_memory = store.board(query).rows
    finally:
        store.stop_board_model()
    assert in_memory == from_sql
    marks = [row.marks for _, row in in_memory]
    assert [(m.tied, m.ranks) for m in marks if m] == [(True, (3, 4)), (False, (5, 5))]


def starter_outcomes(right: float, documents: int) -> list[BenchmarkOutcomes]:
    """Starter-suite outcomes: the first `right` share of each task's documents answered right."""
    found = []
    for spec in STARTER.benchmarks:
        tasks = tuple(
            TaskOutcomes(task, choices, np.arange(documents),
                         (np.arange(documents) < right * documents).astype(float)[:, None],
                         np.ones((documents, 1)))
            for task, choices in spec.tasks.items()
        )  # fmt: skip
        found.append(BenchmarkOutcomes(spec.name, False, tasks))
    return found


def test_compare_pairs_two_models_evaluated_on_the_same_documents(
    context: Context, tmp_path: Path
) -> None:
    store = context.store
    add_board_models(store)
    add_intervals(store)
    ids = {r.model: r.id for r in store.list_requests()}
    artifacts = tmp_path / "artifacts"
    for model, right, documents in (("meta/llama-70b", 0.9, 60), ("meta/llama-7b", 0.5, 60),
                                    ("tiny/edge-1b", 0.5, 40)):  # fmt: skip
        (artifacts / str(ids[model])).mkdir(parents=True)
        write_outcomes(
            artifacts / str(ids[model]) / OUTCOMES_FILE, starter_outcomes(right, documents)
        )
    app = create_app(store, SUITES, artifacts=artifacts)
    with TestClient(app) as http:
        paired = http.get("/api/compare?models=meta/llama-70b,meta/llama-7b").json()["paired"]
        assert paired["paired"] is True and paired["a"] == "meta/llama-70b"
        average = paired["differences"][-1]
        assert average["benchmark"] == AVERAGE and average["low"] > 0 and average["a_leads"] == 1.0
        assert average["reading"].startswith("meta/llama-70b scores higher than meta/llama-7b")
        page = http.get("/compare?models=meta/llama-70b,meta/llama-7b").text
        assert "Is meta/llama-70b really better than meta/llama-7b?" in page and "A − B" in page

        limited = http.get("/api/compare?models=meta/llama-7b,tiny/edge-1b").json()["paired"]
        assert limited["paired"] is False and "different documents" in limited["reason"]
        assert limited["intervals"]["tiny/edge-1b"][AVERAGE]["low"] == 15.0
        page = http.get("/compare?models=meta/llama-7b,tiny/edge-1b").text
        assert "Not a paired comparison" in page and "15.00–25.00" in page

        none = http.get("/api/compare?models=meta/llama-7b,mistral/mistral-7b").json()["paired"]
        assert none["paired"] is False and "kept no per-sample outcomes" in none["reason"]

        model = http.get("/models/meta/llama-7b").text
        assert "± 4.00" in model and "95% confidence intervals (bootstrap over documents" in model
