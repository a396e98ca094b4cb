"""The archive on the board: origin badge and filter (its default a setting), JSON twins carrying
`origin`, and the model page's provenance; from the read model and from SQL."""

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openboard.archive import ArchiveFolder, import_archive, read_contents
from openboard.cli._context import Context
from openboard.domain import ModelType, PinKind, Precision
from openboard.evaluation import all_suites
from openboard.web import create_app
from openboard.worker import import_results
from tests.archive_layouts import contents_row, v2_document, write_contents, write_run
from tests.test_store import new_request

T1 = datetime(2024, 7, 1, 12, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 1, tzinfo=UTC)
SUITES = all_suites()


def _archive(context: Context, root: Path, models: list[str], contents: Path) -> None:
    for n, model in enumerate(models):
        write_run(root, model, T1, v2_document(model, seed=n))
    folder = ArchiveFolder(root, "open-llm-leaderboard/results")
    report = import_archive(
        context.store, folder, SUITES, lambda: NOW, contents=read_contents(contents)
    )
    assert report.imported == len(models), report.skipped


@pytest.fixture
def archive_and_local(context: Context, tmp_path: Path) -> Context:
    """Two archive models, and a local evaluation of one of them at the same commit."""
    rows = [contents_row("pub/alpha", **{"Hub ❤️": 7}), contents_row("pub/beta")]
    _archive(
        context,
        tmp_path / "results",
        ["pub/alpha", "pub/beta"],
        write_contents(tmp_path / "c.parquet", rows),
    )
    local = tmp_path / "local.json"
    local.write_text(json.dumps(v2_document("pub/alpha", seed=11)))
    new = replace(new_request(model="pub/alpha", revision="a" * 40, at=NOW), pin=PinKind.GIT_COMMIT,
                  model_type=ModelType.CHAT, precision=Precision.BFLOAT16)  # fmt: skip
    import_results(context.store, context.settings.artifacts_dir, SUITES, local, new, "alice", NOW)
    return context


@pytest.fixture(params=["read model", "sql"])
def board(archive_and_local: Context, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    app = create_app(
        archive_and_local.store, SUITES, board_read_model=request.param == "read model"
    )
    with TestClient(app) as http:
        yield http


def _rows(http: TestClient, query: str) -> list[tuple[str, str]]:
    answer = http.get(f"/api/leaderboard?suite=v2&{query}")
    assert answer.status_code == 200, answer.text
    return sorted((r["model"], r["origin"]) for r in answer.json()["rows"])


def test_the_origin_filter_and_the_json_twin(board: TestClient) -> None:
    everything = [("pub/alpha", "archive"), ("pub/alpha", "local"), ("pub/beta", "archive")]
    assert _rows(board, "prefer=both") == everything == _rows(board, "origin=all&prefer=both")
    assert _rows(board, "origin=archive") == [("pub/alpha", "archive"), ("pub/beta", "archive")]
    assert _rows(board, "origin=local") == [("pub/alpha", "local")]
    bad = board.get("/api/leaderboard?suite=v2&origin=elsewhere")
    assert bad.status_code == 400 and "origin" in bad.text


def test_a_commit_evaluated_here_and_archived_is_one_row(board: TestClient) -> None:
    """By default the local evaluation stands for both; `prefer` chooses, and an explicit origin
    shows that origin's rows whatever the preference."""
    assert _rows(board, "") == [("pub/alpha", "local"), ("pub/beta", "archive")]
    assert _rows(board, "origin=all") == _rows(board, "prefer=local") == _rows(board, "")
    assert _rows(board, "prefer=archive") == [("pub/alpha", "archive"), ("pub/beta", "archive")]
    assert _rows(board, "origin=archive&prefer=local") == _rows(board, "origin=archive")
    assert board.get("/api/leaderboard?suite=v2").json()["total"] == 2
    assert board.get("/api/leaderboard?suite=v2&prefer=both").json()["total"] == 3
    bad = board.get("/api/leaderboard?suite=v2&prefer=newest")
    assert bad.status_code == 400 and "prefer" in bad.text
    assert 'name="prefer" value="archive"' in board.get("/?suite=v2&prefer=archive").text


def _local(context: Context, model: str, revision: str, precision: Precision) -> int:
    document = context.settings.artifacts_dir.parent / f"{model.replace('/', '_')}.json"
    document.write_text(json.dumps(v2_document(model, seed=21)))
    new = replace(new_request(model=model, revision=revision, at=NOW), pin=PinKind.GIT_COMMIT,
                  model_type=ModelType.CHAT, precision=precision)  # fmt: skip
    return import_results(
        context.store, context.settings.artifacts_dir, SUITES, document, new, "bob", NOW
    ).id


@pytest.mark.parametrize("read_model", [True, False], ids=["read model", "sql"])
def test_only_the_same_commit_and_precision_on_the_board_is_a_twin(
    archive_and_local: Context, read_model: bool
) -> None:
    context = archive_and_local
    local_alpha = next(
        r for r in context.store.list_requests("pub/alpha") if r.origin.value == "local"
    )
    with TestClient(create_app(context.store, SUITES, board_read_model=read_model)) as http:
        _local(context, "pub/beta", "c" * 40, Precision.BFLOAT16)  # another commit
        _local(context, "pub/beta", "a" * 40, Precision.FLOAT16)  # another precision
        beta = [("pub/beta", "archive"), ("pub/beta", "local"), ("pub/beta", "local")]
        assert _rows(http, "") == [("pub/alpha", "local"), *beta]
        # A hidden local evaluation is off the board: the archive row stands for the commit again.
        context.store.moderation.set_hidden(local_alpha.id, True, "admin", NOW, "a broken run")
        assert _rows(http, "") == [("pub/alpha", "archive"), *beta]


def test_the_preference_is_a_setting(archive_and_local: Context) -> None:
    app = create_app(archive_and_local.store, SUITES, default_prefer="both")
    with TestClient(app) as http:
        assert len(_rows(http, "")) == 3
        assert len(_rows(http, "prefer=local")) == 2


def test_the_model_page_links_the_other_evaluation_of_the_commit(
    archive_and_local: Context,
) -> None:
    with TestClient(create_app(archive_and_local.store, SUITES)) as http:
        page = http.get("/models/pub/alpha").text
        evaluations = http.get("/api/models/pub/alpha").json()["evaluations"]
        beta = http.get("/api/models/pub/beta").json()["evaluations"]
    local = next(e for e in evaluations if e["origin"] == "local")
    archived = next(e for e in evaluations if e["origin"] == "archive")
    twin = local["twin"]
    assert (twin["request_id"], twin["origin"], twin["board_shows"]) == (
        archived["id"],
        "archive",
        "this",
    )
    assert twin["difference"] == pytest.approx(local["average"] - archived["average"], abs=1e-4)
    mine = {b["name"]: b["normalized"] for b in local["benchmarks"]}
    theirs = {b["name"]: b["normalized"] for b in archived["benchmarks"]}
    assert set(twin["benchmarks"]) == set(mine) == set(theirs)
    for name, d in twin["benchmarks"].items():
        assert (d["this"], d["other"]) == (mine[name], theirs[name])
        assert d["difference"] == pytest.approx(mine[name] - theirs[name], abs=1e-4)
    assert archived["twin"]["request_id"] == local["id"]
    assert archived["twin"]["board_shows"] == "other"
    assert beta[0]["twin"] is None
    assert "Also in the public archive at this commit" in page
    assert f'href="#evaluation-{archived["id"]}"' in page
    assert "The board shows this row for both" in page


def test_archive_rows_carry_a_badge(board: TestClient) -> None:
    page = board.get("/?suite=v2&origin=archive").text
    assert page.count('class="badge archive"') == 2
    local = board.get("/?suite=v2&origin=local").text
    assert 'class="badge archive"' not in local and 'data-model="pub/alpha"' in local


def test_the_default_origin_is_a_setting(archive_and_local: Context) -> None:
    app = create_app(archive_and_local.store, SUITES, default_origin="local")
    with TestClient(app) as http:
        assert _rows(http, "") == [("pub/alpha", "local")]
        assert len(_rows(http, "origin=all&prefer=both")) == 3
        assert 'value="local" checked' in http.get("/?suite=v2").text


def test_the_model_page_says_where_an_archive_result_came_from(archive_and_local: Context) -> None:
    with TestClient(create_app(archive_and_local.store, SUITES)) as http:
        page = http.get("/models/pub/alpha").text
        twin = http.get("/api/models/pub/alpha").json()
    origins = sorted(e["origin"] for e in twin["evaluations"])
    assert origins == ["archive", "local"]
    archived = next(e for e in twin["evaluations"] if e["origin"] == "archive")
    shown = archived["archive"]["shown"]
    assert shown["dataset"] == "open-llm-leaderboard/results"
    assert shown["path"] == "pub/alpha/results_2024-07-01T12-00-00.000000.json"
    assert shown["url"] == ("https://huggingface.co/datasets/open-llm-leaderboard/results/blob/main/"
                            "pub/alpha/results_2024-07-01T12-00-00.000000.json")  # fmt: skip
    assert archived["archive"]["published"]["Hub ❤️"] == 7
    assert "From the public Open LLM Leaderboard archive, run" in page
    assert f'href="{shown["url"]}"' in page
    assert next(e for e in twin["evaluations"] if e["origin"] == "local")["archive"] is None


def test_the_read_model_follows_an_import_after_it_started(
    archive_and_local: Context, tmp_path: Path
) -> None:
    with TestClient(create_app(archive_and_local.store, SUITES)) as http:
        assert len(_rows(http, "origin=archive")) == 2
        _archive(archive_and_local, tmp_path / "more", ["pub/gamma"],
                 write_contents(tmp_path / "more.parquet", [contents_row("pub/gamma")]))  # fmt: skip
        assert ("pub/gamma", "archive") in _rows(http, "origin=archive")
        assert ("pub/gamma", "archive") not in _rows(http, "origin=local")
