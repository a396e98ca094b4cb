"""The leaderboard view: search syntax, filters, sort, pages, pins and exports, through the ASGI app."""

import csv
import io
import json
import re
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from click.testing import Result
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine
from starlette.responses import Response
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import (
    BenchmarkScore,
    InvalidSearchError,
    ModelType,
    Precision,
    SearchGroup,
    parse_search,
)
from openboard.domain._search import required_literals
from openboard.evaluation import SUITES
from openboard.queue import claim_next, finish
from openboard.store import BoardPoint, BoardQuery, EvaluationCost, Store
from openboard.web import create_app
from openboard.web._cache import PageCache
from openboard.web._plots import best_over_time, pareto_front

from .conftest import database
from .test_store import new_request
from .web_helpers import add_user, sign_in

T0 = datetime(2026, 3, 1, tzinfo=UTC)
BENCHMARKS = ("starter_bbh", "starter_bbh_generative", "starter_ifeval")


def add_finished(
    store: Store,
    model: str,
    scores: tuple[float, float, float],
    *,
    precision: Precision = Precision.BFLOAT16,
    model_type: ModelType = ModelType.PRETRAINED,
    params_b: float = 1.0,
    architecture: str = "LlamaForCausalLM",
    license: str = "apache-2.0",
    merged: bool = False,
    moe: bool = False,
    day: int = 0,
    revision: str = "a" * 40,
    eval_seconds: float = 10.0,
    co2_kg: float = 0.01,
    cost: EvaluationCost | None = None,
    **shown: Any,  # more of the request's fields (weight type, base model, chat template)
) -> None:
    new = replace(
        new_request(
            model=model, revision=revision, precision=precision, at=T0 + timedelta(days=day)
        ),
        model_type=model_type,
        params=int(params_b * 1e9),
        architectures=[architecture],
        license=license,
        merged=merged,
        moe=moe,
        **shown,
    )
    store.add_request(new, actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None and running.model == model
    finish(
        store,
        running,
        actor="w1",
        at=T0,
        task_scores=[],
        benchmark_scores=[
            BenchmarkScore(name, raw=score / 100, normalized=score)
            for name, score in zip(BENCHMARKS, scores, strict=True)
        ],
        average=sum(scores) / 3,
        eval_seconds=eval_seconds,
        co2_kg=co2_kg,
        cost=cost,
    )


def add_board_models(store: Store) -> None:
    """Five finished evaluations that tell the filters apart (the browser tests use them too)."""
    add_finished(store, "meta/llama-7b", (60, 30, 30), params_b=7)
    add_finished(store, "meta/llama-70b", (80, 70, 60), params_b=70, day=3)
    add_finished(
        store, "mistral/mistral-7b", (50, 50, 50), params_b=7.2,
        architecture="MistralForCausalLM", model_type=ModelType.CHAT, day=1,
    )  # fmt: skip
    add_finished(
        store, "merger/frankenmoe", (90, 10, 15), params_b=12, merged=True, moe=True,
        model_type=ModelType.MERGE, license="other", architecture="MixtralForCausalLM",
    )  # fmt: skip
    add_finished(
        store, "tiny/edge-1b", (20, 20, 20), params_b=1.1, precision=Precision.FLOAT16,
        model_type=ModelType.FINE_TUNED, license="mit", day=2,
    )  # fmt: skip


BOARD_MODES = ("read model", "sql")


def board_app(store: Store, mode: str) -> FastAPI:
    return create_app(store, SUITES, official=frozenset({"meta"}),
                      board_read_model=mode == "read model")  # fmt: skip


@pytest.fixture(scope="module")
def shared_boards(
    tmp_path_factory: pytest.TempPathFactory, migrated_template: str
) -> Iterator[dict[str, tuple[Store, TestClient]]]:
    """One app per mode on one database of the five models, for the module's tests that only
    read the board: starting an app (templates compiled, read model loaded) and adding the models
    cost ~0.5 s (SQLite) to 2 s (CI's PostgreSQL) a test. Each mode has its own Store: the read
    model is started on the store, and the SQL app must not answer from it."""
    with ExitStack() as stack:
        url = stack.enter_context(database(tmp_path_factory.mktemp("board"), migrated_template))
        boards = {}
        for mode in BOARD_MODES:
            store = Store.open(url)
            stack.callback(store.engine.dispose)
            if not boards:
                add_board_models(store)
            boards[mode] = store, stack.enter_context(TestClient(board_app(store, mode)))
        yield boards


@pytest.fixture(params=BOARD_MODES)
def board(request: pytest.FixtureRequest) -> Iterator[TestClient]:
    """The app on the five models, answering from the read model or from SQL alone. A test that
    takes `context` beside it (to add results) gets a fresh app on that store; the others share
    the module's app for the mode, with no cookies, and must leave its data as they found it."""
    if "context" in request.fixturenames:
        store = request.getfixturevalue("context").store
        add_board_models(store)
        with TestClient(board_app(store, request.param)) as http:
            yield http
        return
    store, http = request.getfixturevalue("shared_boards")[request.param]
    http.cookies.clear()
    version = store.data_version()
    yield http
    assert store.data_version() == version, "a test on the shared board changed its data"


def models(http: TestClient, query: str) -> list[str]:
    response = http.get(f"/api/leaderboard?{query}")
    assert response.status_code == 200, response.text
    return [row["model"] for row in response.json()["rows"]]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", []),
        ("llama", [SearchGroup("llama")]),
        ("llama; mistral", [SearchGroup("llama"), SearchGroup("mistral")]),
        ("@license:mit", [SearchGroup(fields={"license": "mit"})]),
        (
            "llama @precision:bfloat16 @type:pre",
            [SearchGroup("llama", fields={"precision": "bfloat16", "type": "pre"})],
        ),
        ("^meta/.*7b$", [SearchGroup("^meta/.*7b$", name_is_regex=True, required=("meta/", "7b"))]),
        (" ; ;  ", []),
        ("@License:MIT", [SearchGroup(fields={"license": "MIT"})]),
    ],
)
def test_search_syntax(text: str, expected: list[SearchGroup]) -> None:
    assert parse_search(text) == expected


@pytest.mark.parametrize(
    ("text", "names"),
    [("@owner:x", "unknown search field @owner"),
     ("llama[", "not a regular expression openboard can run"),
     (r"(a)\1", "openboard can run"), ("(?=x)a", "openboard can run"),  # backtracking only
     ("a\x00b", "NUL byte"), ("x" * 501, "at most 500")],
)  # fmt: skip
def test_bad_search_names_the_problem(text: str, names: str) -> None:
    with pytest.raises(InvalidSearchError, match=names) as caught:
        parse_search(text)
    assert caught.value.hint


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # default: by average, best first
        ("", ["meta/llama-70b", "mistral/mistral-7b", "meta/llama-7b", "merger/frankenmoe",
              "tiny/edge-1b"]),
        ("q=llama", ["meta/llama-70b", "meta/llama-7b"]),
        ("q=LLAMA;+tiny", ["meta/llama-70b", "meta/llama-7b", "tiny/edge-1b"]),
        ("q=%5Emeta/.*7b%24", ["meta/llama-7b"]),  # ^meta/.*7b$: a regular expression
        ("q=%40architecture:mistral", ["mistral/mistral-7b"]),
        ("q=%40license:mit", ["tiny/edge-1b"]),
        ("q=llama+%40precision:float32", []),
        ("q=%40type:merge;+%40type:chat", ["mistral/mistral-7b", "merger/frankenmoe"]),
        ("q=50%25", []),  # a literal %, not a LIKE wildcard
        ("type=chat&type=fine-tuned", ["mistral/mistral-7b", "tiny/edge-1b"]),
        ("precision=float16", ["tiny/edge-1b"]),
        ("size=edge", ["tiny/edge-1b"]),
        ("size=mid-range", ["mistral/mistral-7b", "meta/llama-7b", "merger/frankenmoe"]),
        ("size=gpu-rich", ["meta/llama-70b"]),
        ("params_min=7.1&params_max=20", ["mistral/mistral-7b", "merger/frankenmoe"]),
        ("hide=merged", ["meta/llama-70b", "mistral/mistral-7b", "meta/llama-7b", "tiny/edge-1b"]),
        ("hide=moe&hide=merged&official=1", ["meta/llama-70b", "meta/llama-7b"]),
        ("sort=model&dir=asc", ["merger/frankenmoe", "meta/llama-70b", "meta/llama-7b",
                                "mistral/mistral-7b", "tiny/edge-1b"]),
        ("sort=params&dir=asc", ["tiny/edge-1b", "meta/llama-7b", "mistral/mistral-7b",
                                 "merger/frankenmoe", "meta/llama-70b"]),
        # ties (same day) broken by id in the sort's direction: newest first
        ("sort=submitted", ["meta/llama-70b", "tiny/edge-1b", "mistral/mistral-7b",
                            "merger/frankenmoe", "meta/llama-7b"]),
        ("sort=starter_bbh", ["merger/frankenmoe", "meta/llama-70b", "meta/llama-7b",
                              "mistral/mistral-7b", "tiny/edge-1b"]),
        ("sort=starter_bbh_generative&dir=asc&scores=raw",
         ["merger/frankenmoe", "tiny/edge-1b", "meta/llama-7b", "mistral/mistral-7b",
          "meta/llama-70b"]),
        # average over BBH alone: the order of the BBH column
        ("show=starter_bbh&average=shown", ["merger/frankenmoe", "meta/llama-70b", "meta/llama-7b",
                                            "mistral/mistral-7b", "tiny/edge-1b"]),
        ("per_page=25&page=2", []),
    ],
)  # fmt: skip
def test_filters_search_and_sort(board: TestClient, query: str, expected: list[str]) -> None:
    assert models(board, query) == expected


def test_average_over_shown_benchmarks_is_recomputed(board: TestClient) -> None:
    payload = board.get(
        "/api/leaderboard?show=starter_bbh&show=starter_ifeval&average=shown"
    ).json()
    by_model = {r["model"]: r for r in payload["rows"]}
    assert by_model["merger/frankenmoe"]["average"] == pytest.approx(52.5)
    assert [b["name"] for b in payload["benchmarks"]] == ["starter_bbh", "starter_ifeval"]
    whole = board.get("/api/leaderboard?show=starter_bbh&show=starter_ifeval").json()
    assert {r["model"]: r for r in whole["rows"]}["merger/frankenmoe"]["average"] == pytest.approx(
        115 / 3
    )


def test_raw_scores_are_shown_when_asked(board: TestClient) -> None:
    row = board.get("/api/leaderboard?scores=raw&q=edge").json()["rows"][0]
    assert row["scores"]["starter_bbh"]["shown"] == pytest.approx(0.2)
    assert "0.2000" in board.get("/?scores=raw&q=edge").text


def test_pages_and_ranks(board: TestClient, context: Context) -> None:
    for n in range(30):
        add_finished(context.store, f"bulk/model-{n:02d}", (1, 1, float(n) / 10))
    first = board.get("/api/leaderboard?per_page=25").json()
    second = board.get("/api/leaderboard?per_page=25&page=2").json()
    assert first["total"] == second["total"] == 35 and first["pages"] == 2
    assert [r["rank"] for r in second["rows"]] == list(range(26, 36))
    seen = [r["model"] for r in first["rows"] + second["rows"]]
    assert len(set(seen)) == 35
    html = board.get("/?per_page=25").text
    assert 'rel="next" href="?per_page=25&amp;page=2"' in html


def test_pinned_models_stay_on_top_of_every_page(board: TestClient) -> None:
    payload = board.get("/api/leaderboard?pin=tiny/edge-1b&sort=model&dir=asc").json()
    assert [r["model"] for r in payload["pinned"]] == ["tiny/edge-1b"]
    assert payload["pinned"][0]["pinned"] is True
    # A pin outside the filter is still shown: the user asked to keep it in view.
    assert [r["model"] for r in board.get("/api/leaderboard?pin=tiny/edge-1b&q=llama").json()["pinned"]] == ["tiny/edge-1b"]  # fmt: skip
    html = board.get("/?pin=tiny/edge-1b").text
    assert 'class="pinned"' in html and 'href="?"' in html  # unpinning link drops the pin


def test_optional_columns_and_official_providers(board: TestClient) -> None:
    payload = board.get("/api/leaderboard?col=license&col=official&col=merged").json()
    assert [c["name"] for c in payload["columns"]] == ["license", "official", "merged"]
    by_model = {r["model"]: r for r in payload["rows"]}
    assert by_model["meta/llama-7b"]["official"] and not by_model["tiny/edge-1b"]["official"]
    assert ">License</th>" in board.get("/?col=license").text


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("type=robot", "unknown model type: robot"),
        ("precision=float64", "unknown precision"),
        ("size=huge", "unknown size"),
        ("sort=color", "unknown sort column"),
        ("params_min=ten", "is not a number"),
        ("per_page=7", "per_page"),
        ("page=0", "page must be"),
        ("suite=nope", "unknown suite"),
        ("q=%40owner:x", "unknown search field"),
        ("col=password", "unknown column"),
    ],
)
def test_bad_parameters_are_400_with_the_fix(board: TestClient, query: str, names: str) -> None:
    for path in ("/", "/api/leaderboard", "/leaderboard.csv"):
        response = board.get(f"{path}?{query}")
        assert response.status_code == 400 and names in response.json()["detail"]


def test_csv_export_follows_the_view(board: TestClient) -> None:
    response = board.get("/leaderboard.csv?q=llama")
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [r["Model"] for r in rows] == ["meta/llama-70b", "meta/llama-7b"]
    assert rows[0]["eval_name"] == "meta_llama-70b_bfloat16"
    assert float(rows[0]["Average ⬆️"]) == pytest.approx(70.0)
    assert float(rows[0]["BBH (generated) Raw"]) == pytest.approx(0.8)
    assert rows[0]["Official Providers"] == "True"


def test_parquet_export_has_the_public_contents_columns(board: TestClient) -> None:
    response = board.get("/leaderboard.parquet")
    table = pq.read_table(io.BytesIO(response.content))
    assert table.num_rows == 5
    for column in ("eval_name", "Precision", "Type", "T", "Weight type", "Architecture", "Model",
                   "fullname", "Model sha", "Average ⬆️", "Hub License", "#Params (B)", "MoE",
                   "Chat Template", "CO₂ cost (kg)", "Merged", "Official Providers",
                   "Submission Date", "Base Model"):  # fmt: skip
        assert column in table.column_names
    assert table.column("#Params (B)").to_pylist()[0] == pytest.approx(70.0)
    empty = pq.read_table(io.BytesIO(board.get("/leaderboard.parquet?q=nothing-like-this").content))
    assert empty.num_rows == 0 and "Model" in empty.column_names


def test_the_view_lives_in_the_url(board: TestClient) -> None:
    """Every control of the form is a URL parameter that the page renders back as set."""
    html = board.get("/?q=llama&type=chat&precision=float16&size=edge&hide=merged&scores=raw"
                     "&average=shown&show=starter_bbh&col=license").text  # fmt: skip
    for fragment in ('name="q" value="llama"', 'value="chat" checked', 'value="float16" checked',
                     'value="edge" checked', 'value="merged" checked', 'value="raw" checked',
                     'name="average" value="shown" checked', 'value="starter_bbh" checked',
                     'value="license" checked'):  # fmt: skip
        assert fragment in html


def test_hostile_strings_are_escaped_in_html_and_defused_in_csv(context: Context) -> None:
    add_finished(context.store, "evil/model", (1, 1, 1), license="<script>alert(1)</script>")
    add_finished(context.store, "evil/formula", (2, 2, 2), license='=HYPERLINK("http://x")')
    with TestClient(create_app(context.store, SUITES)) as http:
        html = http.get("/?col=license").text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert" not in html
        rows = {
            r["Model"]: r for r in csv.DictReader(io.StringIO(http.get("/leaderboard.csv").text))
        }
        assert rows["evil/formula"]["Hub License"] == '\'=HYPERLINK("http://x")'
        assert rows["evil/model"]["Hub License"] == "<script>alert(1)</script>"


def _point(n: int, params_b: float | None, average: float, day: int,
           model_type: ModelType = ModelType.PRETRAINED) -> BoardPoint:  # fmt: skip
    params = int(params_b * 1e9) if params_b is not None else None
    return BoardPoint(n, f"o/m{n}", model_type, params, average, T0 + timedelta(days=day))


def test_pareto_front_keeps_only_unbeaten_sizes() -> None:
    points = [_point(1, 7, 50, 0), _point(2, 3, 40, 0), _point(3, 70, 45, 0),
              _point(4, 70, 60, 0), _point(5, 1, 10, 0), _point(6, None, 99, 0),
              _point(7, 3, 35, 0)]  # fmt: skip
    assert [p.request_id for p in pareto_front(points)] == [5, 2, 1, 4]


def test_best_over_time_steps_up_per_type() -> None:
    chat = ModelType.CHAT
    points = [_point(1, 1, 10, 0), _point(2, 1, 5, 1), _point(3, 1, 20, 2), _point(4, 1, 30, 1, chat),
              _point(5, 1, 25, 3, chat)]  # fmt: skip
    lines = best_over_time(points)
    assert [p.request_id for p in lines[ModelType.PRETRAINED]] == [1, 3]
    assert [p.request_id for p in lines[chat]] == [4]


def test_plots_follow_the_leaderboard_filters(board: TestClient) -> None:
    everything = board.get("/api/plots").json()
    assert everything["total"] == 5 and len(everything["scatter"]) == 5
    assert [p["model"] for p in everything["pareto_front"]] == [
        "tiny/edge-1b",
        "meta/llama-7b",
        "mistral/mistral-7b",
        "meta/llama-70b",
    ]
    assert set(everything["best_over_time"]) == {"pretrained", "chat", "merge", "fine-tuned"}
    llamas = board.get("/api/plots?q=llama").json()
    assert llamas["total"] == 2 and board.get("/plots?format=json").json() == everything
    html = board.get("/plots?q=llama").text
    assert 'data-src="/api/plots?q=llama"' in html and "/vendor/plotly.min.js" in html
    assert html.count('<a href="/models/') == 2  # the front as a table, for readers without JS
    js = board.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000 and b"plotly" in js.content[:2000]
    assert board.get("/static/plots.js").status_code == 200


def test_compare_takes_each_models_best_evaluation(board: TestClient, context: Context) -> None:
    add_finished(context.store, "meta/llama-7b", (70, 70, 70), precision=Precision.FLOAT16)
    payload = board.get("/api/compare?models=meta/llama-7b,tiny/edge-1b,nobody/none").json()
    assert [m["model"] for m in payload["models"]] == ["meta/llama-7b", "tiny/edge-1b"]
    assert payload["models"][0]["average"] == pytest.approx(70.0)
    assert payload["models"][0]["precision"] == "float16"
    assert payload["missing"] == ["nobody/none"]
    html = board.get("/compare?models=meta/llama-7b,tiny/edge-1b").text
    assert 'id="plot-compare"' in html and "70.00" in html
    too_many = ",".join(f"o/m{n}" for n in range(11))
    assert board.get(f"/api/compare?models={too_many}").status_code == 400
    assert "Give up to 10" in board.get("/compare").text


def test_a_search_stops_counting_at_the_cap_in_sql(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without the read model a search's count stops at the cap (a regular expression is a
    function call per row on SQLite); the read model counts every match."""
    add_board_models(context.store)
    monkeypatch.setattr("openboard.store._board.MAX_COUNTED", 2)
    with TestClient(create_app(context.store, SUITES, board_read_model=False)) as http:
        searched = http.get("/api/leaderboard?q=m").json()
        assert searched["total"] == 2 and searched["total_at_least"] is True
        assert len(searched["rows"]) == 4  # the page itself is whole (four ids have an "m")
        assert "2+ evaluations" in http.get("/?q=m").text
        assert len(http.get("/leaderboard.csv?q=m").text.splitlines()) == 5  # exports are whole
        unsearched = http.get("/api/leaderboard").json()
        assert unsearched["total"] == 5 and unsearched["total_at_least"] is False
    with TestClient(create_app(context.store, SUITES)) as http:
        exact = http.get("/api/leaderboard?q=m").json()
        assert exact["total"] == 4 and exact["total_at_least"] is False


@pytest.mark.parametrize(
    ("pattern", "required"),
    [("^meta-llama/.*8B", ("meta-llama/", "8B")), ("llama|mistral", ()), ("a(bc)?de", ("de",)),
     (r"^Qwen2\.5-.*-Instruct$", ("Qwen2.5-", "-In", "truct")), ("colou?r", ("colo",)),
     ("x[ab]yz", ("yz",)), ("ab+c", ("ab",)), (r"\d+B", ()), ("(a|b)cd", ("cd",)),
     ("ab{2,3}cd", ("cd",)),
     # Only text the databases' LIKE folds as RE2 does: not beyond ASCII, not k or s.
     ("(?i)ÜNÏ", ()), ("^org/Ünïcode.", ("org/", "code")), ("kelvin-[0-9]", ("elvin-",))],
)  # fmt: skip
def test_regex_searches_prefilter_on_text_every_match_contains(
    pattern: str, required: tuple[str, ...]
) -> None:
    (group,) = parse_search(pattern)
    assert group.name_is_regex and group.required == required


PATTERNS = st.from_regex(
    r"\^?([a-z]{1,4}|\.\*|\[ab\]|\(x\|yz\)|\\\.|-)([+*?]|\{1,2\})?"
    r"([a-z]{1,4}|\.\*|\[ab\]|\(x\|yz\)|\\\.|/)([+*?]|\{1,2\})?([a-z]{0,4})\$?",
    fullmatch=True,
)


@settings(max_examples=300, deadline=None)
@given(PATTERNS, st.data())
def test_required_text_is_in_every_match(pattern: str, data: st.DataObject) -> None:
    """Whatever the prefilter requires, every string the expression matches contains it."""
    try:
        re.compile(pattern)
    except re.error:
        assume(False)  # e.g. ".*+": a repeat of a repeat
    matching = data.draw(st.from_regex(pattern))
    assert re.search(pattern, matching)
    assert all(r in matching for r in required_literals(pattern)), required_literals(pattern)


def test_anonymous_views_are_shared_until_the_data_changes(context: Context) -> None:
    add_board_models(context.store)
    app = create_app(context.store, SUITES)
    cache = app.state.page_cache
    with TestClient(app) as http:
        first = http.get("/?q=llama")
        assert "set-cookie" not in first.headers  # nothing personal on a reader's page
        again = http.get("/?q=llama")
        assert cache.hits == 1 and again.text == first.text
        assert again.headers["content-security-policy"]  # the security layer still wraps it
        assert http.get("/api/leaderboard?q=llama").json()["total"] == 2
        assert http.get("/api/leaderboard?q=llama").json()["total"] == 2 and cache.hits == 2
        add_finished(context.store, "meta/llama-3b", (10, 10, 10), params_b=3)  # a new result
        assert http.get("/api/leaderboard?q=llama").json()["total"] == 3
        assert "meta/llama-3b" in http.get("/?q=llama").text and cache.hits == 2
        context.store.moderation.flag("meta/llama-3b", "contaminated", None, "root", T0)
        assert http.get("/api/leaderboard?q=llama").json()["total"] == 2  # moderation counts too
    add_user(context.store, "alice")
    with TestClient(app) as signed_in:
        sign_in(signed_in, "alice")
        before = cache.hits
        assert ">alice</a>" in signed_in.get("/?q=llama").text and cache.hits == before


def test_a_page_many_readers_ask_for_at_once_is_rendered_once(context: Context) -> None:
    cache = PageCache(context.store)
    started = threading.Barrier(8)
    calls: list[int] = []

    def render() -> Response:
        calls.append(1)
        time.sleep(0.2)  # long enough for every reader to arrive while it renders
        return Response(b"the page", media_type="text/html")

    def read() -> bytes:
        started.wait()
        return bytes(cache.page("/?q=llama", render).body)

    with ThreadPoolExecutor(8) as pool:
        bodies = list(pool.map(lambda _: read(), range(8)))
    assert bodies == [b"the page"] * 8 and len(calls) == 1 and cache.renders == 1
    assert cache.hits == 7


def test_a_failed_rendering_lets_the_next_reader_render(context: Context) -> None:
    cache = PageCache(context.store)

    def broken() -> Response:
        raise RuntimeError("template error")

    with pytest.raises(RuntimeError):
        cache.page("/", broken)
    assert cache.page("/", lambda: Response(b"ok")).body == b"ok"


TRICKY_NAMES = (
    "meta/Llama-3-8B", "meta/llama-3-70b", "org/50%-off", "org/under_score", 'org/say-"hi"',
    "org/Ünïcode-Model", "org/llamallama", "qwen/Qwen2.5-7B-Instruct", "x/ab", "x/abc-abc",
    "org/LLAMA-shout", "lab/not-a-match",
)  # fmt: skip
SEARCHES = (
    "llama", "LLAMA", "lla", "ll", "50%", "_sc", '"hi"', "ïcode", "abc", "qwen2.5", "llama; qwen",
    "llama; ab", "^meta/.*8b", "llama.*shout", "abc-abc$", "nothing-here", "instruct @type:chat",
)  # fmt: skip


@pytest.mark.parametrize("narrow_at_most", [0, 10_000])
@pytest.mark.parametrize("sort", ["average", "starter_bbh"])
def test_trigram_narrowing_finds_exactly_what_a_scan_finds(
    context: Context, monkeypatch: pytest.MonkeyPatch, narrow_at_most: int, sort: str
) -> None:
    """Whatever path a search takes (rows read by id from the trigram index, or the board's index
    walked), the rows are those a case-insensitive scan of every name finds."""
    for n, name in enumerate(TRICKY_NAMES):
        add_finished(context.store, name, (n, 50, 50), day=n)
    monkeypatch.setattr("openboard.store._search.NARROW_AT_MOST", narrow_at_most)
    for text in SEARCHES:
        query = BoardQuery(suite="starter", benchmarks=BENCHMARKS,
                           search=tuple(parse_search(text)), sort=sort, limit=100)  # fmt: skip
        found = {request.model for request, _ in context.store.board(query).rows}
        expected = {
            name for name in TRICKY_NAMES
            if any(_scan_matches(group, name) for group in parse_search(text))
        }  # fmt: skip
        assert found == expected, text


def _scan_matches(group: SearchGroup, name: str) -> bool:
    if group.fields.get("type") == "chat":
        return False  # every TRICKY_NAMES model is pretrained
    if group.name_is_regex:
        return re.search(group.name, name, flags=re.IGNORECASE) is not None
    return group.name.lower() in name.lower()


def test_shared_pages_revalidate_with_their_etag(context: Context) -> None:
    add_board_models(context.store)
    app = create_app(context.store, SUITES)
    with TestClient(app) as http:
        first = http.get("/api/leaderboard?q=llama")
        etag = first.headers["etag"]
        assert first.headers["cache-control"] == "no-cache"
        same = http.get("/api/leaderboard?q=llama", headers={"If-None-Match": etag})
        assert same.status_code == 304 and same.content == b"" and same.headers["etag"] == etag
        assert same.headers["content-security-policy"]  # still wrapped by the security layer
        other = http.get("/api/leaderboard?q=llama", headers={"If-None-Match": '"stale"'})
        assert other.status_code == 200 and other.json()["total"] == 2
        add_finished(context.store, "meta/llama-3b", (10, 10, 10), params_b=3)
        changed = http.get("/api/leaderboard?q=llama", headers={"If-None-Match": etag})
        assert changed.status_code == 200 and changed.json()["total"] == 3
        assert changed.headers["etag"] != etag
    add_user(context.store, "alice")
    with TestClient(app) as signed_in:
        sign_in(signed_in, "alice")
        personal = signed_in.get("/", headers={"If-None-Match": etag})
        assert personal.status_code == 200 and "etag" not in personal.headers


def test_paths_never_kept_cost_no_version_query(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_board_models(context.store)
    app = create_app(context.store, SUITES)
    asked: list[int] = []
    version = context.store.data_version
    monkeypatch.setattr(context.store, "data_version", lambda: asked.append(1) or version())
    with TestClient(app) as http:
        assert http.get("/static/style.css").status_code == 200
        assert http.get("/queue").status_code == 200
        assert asked == []  # nothing is kept for them: the fast path does not ask the database
        http.get("/?q=llama")
        before = len(asked)
        http.get("/?q=llama")  # kept: one version check, answered before routing
        assert len(asked) == before + 1


def test_a_board_page_reads_the_data_version_once(
    context: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page cache reads it where the page begins, and the board's own check (is the read
    model at least there?) answers from that read: each read is a statement, and under load a
    wait for the GIL."""
    add_board_models(context.store)
    app = create_app(context.store, SUITES)
    probe = context.store._version
    reads: list[int] = []
    monkeypatch.setattr(context.store, "_version", lambda: reads.append(1) or probe())
    with TestClient(app) as http:
        # A regular expression is made in the thread pool; plain searches and the other views
        # on the event loop (SQLite, the read model current: the check's read serves the page):
        # one read either way.
        paths = ("/?q=llama&sort=model", "/api/leaderboard?q=org&page=1", "/?sort=params&dir=asc",
                 "/api/leaderboard?type=chat", "/?q=%5Eorg/")  # fmt: skip
        for path in paths:
            reads.clear()
            answer = http.get(path)
            assert answer.status_code == 200 and reads == [1], (path, reads)
    other = Store(create_engine(context.store.engine.url))
    try:
        with context.store.reading_at((0, 0)):  # another store's checks are its own
            assert context.store.data_version() == (0, 0)
            assert other.data_version() == probe() != (0, 0)
    finally:
        other.engine.dispose()


def test_the_cli_prints_the_web_boards_view(context: Context, cli_env: dict[str, str]) -> None:
    store = context.store
    add_finished(store, "org/alpha", (50, 60, 70))
    add_finished(store, "org/beta", (10, 20, 30), model_type=ModelType.CHAT, day=1)
    add_finished(store, "org/gamma", (80, 80, 80), day=2)
    store.moderation.flag("org/gamma", "contaminated", "https://e.org/1", "root", T0)
    runner = CliRunner()

    def cli(*args: str) -> Result:
        return runner.invoke(app, ["leaderboard", *args], env=cli_env)

    with TestClient(create_app(store, SUITES)) as http:
        web = http.get("/api/leaderboard?per_page=200").json()
        web_csv = http.get("/leaderboard.csv").text
        chat = http.get("/api/leaderboard?type=chat&flagged=show").json()
    printed = json.loads(cli("--json").output)
    assert [r["model"] for r in printed["rows"]] == ["org/alpha", "org/beta"]  # the flag hides
    assert printed["rows"] == web["rows"] and printed["benchmarks"] == web["benchmarks"]
    assert printed["total"] == web["total"] == 2
    assert cli("--csv").output.splitlines() == web_csv.splitlines()
    chosen = json.loads(cli("--json", "--view", "type=chat&flagged=show").output)
    assert chosen["rows"] == chat["rows"] and [r["model"] for r in chosen["rows"]] == ["org/beta"]
    table = cli().output.splitlines()
    assert table[1].split()[:3] == ["1", "🟢", "org/alpha"] and "org/gamma" not in cli().output
    refused = cli("--suite", "nope")
    assert refused.exit_code == 1 and "unknown suite 'nope'" in refused.output
    assert "choose from" in refused.output
