"""Availability: every evaluated commit is resolved at its source; deleted, rewritten or unreachable
models are told apart, the board hides unavailable ones on request, and readers see the change."""

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.availability import check_availability
from openboard.cli import app
from openboard.cli._context import Context
from openboard.config import Settings
from openboard.demo._git import commit_all
from openboard.domain import ModelId, PinKind
from openboard.evaluation import SUITES
from openboard.sources import LocalModelSource, SourceError
from openboard.store import BoardQuery, Store
from openboard.web import create_app

from .test_board import BENCHMARKS, add_finished

NOW = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def board(tmp_path: Path, database_url: str, migrated_template: str) -> Context:
    """Three evaluated models in a local library: a git repository, a plain folder, and a git
    repository whose evaluated commit will be rewritten away (on a copy of the migrated template)."""
    models = tmp_path / "models"
    for name in ("kept", "folder", "rewritten"):
        (models / "org" / name).mkdir(parents=True)
        (models / "org" / name / "README.md").write_text(f"# {name}\n")
    commit_all(models / "org" / "kept", "kept")
    commit_all(models / "org" / "rewritten", "first")
    settings = Settings(home=tmp_path / "home", models=models, database_url=database_url)
    context = Context.open(settings)
    context.store.migrate()
    for day, name in enumerate(("kept", "folder", "rewritten")):
        sha, _ = context.source.resolve(ModelId.parse(f"org/{name}"), "main")
        add_finished(context.store, f"org/{name}", (50 + day, 50, 50), revision=sha, day=day)
    return context


def visible(store: Store, hide_unavailable: bool) -> list[str]:
    query = BoardQuery(suite="starter", benchmarks=BENCHMARKS, hide_unavailable=hide_unavailable,
                       sort="model", descending=False)  # fmt: skip
    result = store.board(query)
    return [request.model for request, _ in result.rows]


def test_deleted_and_rewritten_models_become_unavailable(board: Context) -> None:
    models = board.settings.model_root
    first = check_availability(board.store, board.source, lambda: NOW)
    assert [c.available for c in first.checks] == [True, True, True]
    assert len(first.changed) == 3  # never checked before: each now known to be available
    shutil.rmtree(models / "org" / "folder")
    rewritten = models / "org" / "rewritten"
    shutil.rmtree(rewritten / ".git")  # history rewritten: the evaluated commit is gone
    (rewritten / "README.md").write_text("# rewritten, new history\n")
    commit_all(rewritten, "new history")

    second = check_availability(board.store, board.source, lambda: NOW)
    gone = {c.commit.model: c.reason for c in second.unavailable}
    assert set(gone) == {"org/folder", "org/rewritten"}
    assert all(reason for reason in gone.values())
    assert [c.commit.model for c in second.changed] == ["org/folder", "org/rewritten"]
    assert visible(board.store, hide_unavailable=False) == [
        "org/folder",
        "org/kept",
        "org/rewritten",
    ]
    assert visible(board.store, hide_unavailable=True) == ["org/kept"]
    third = check_availability(board.store, board.source, lambda: NOW)
    assert third.changed == []  # nothing new: no event, cached pages stay


def test_the_board_hides_unavailable_models_and_readers_see_the_change(board: Context) -> None:
    web = create_app(board.store, SUITES)
    with TestClient(web) as http:
        assert http.get("/api/leaderboard?hide=unavailable").json()["total"] == 3
        shutil.rmtree(board.settings.model_root / "org" / "folder")
        check_availability(board.store, board.source, lambda: NOW)
        payload = http.get("/api/leaderboard?hide=unavailable&col=available").json()
        assert [r["model"] for r in payload["rows"]] == ["org/rewritten", "org/kept"]
        everyone = {r["model"]: r for r in http.get("/api/leaderboard").json()["rows"]}
        assert everyone["org/folder"]["available"] is False
        assert "not found in the local model source" in everyone["org/folder"]["unavailable_reason"]
        assert everyone["org/kept"]["available"] is True
        page = http.get("/?col=available").text
        assert 'class="badge unavailable"' in page and 'name="hide" value="unavailable"' in page
        model = http.get("/api/models/org/folder").json()["evaluations"][0]
        assert model["available"] is False and model["availability_checked_at"].startswith(
            "2026-06-01"
        )
        assert (
            'Unavailable</span> since the check of <time datetime="2026-06-01'
            in http.get("/models/org/folder").text
        )
        csv_text = http.get("/leaderboard.csv").text
        assert "Available on the hub" in csv_text.splitlines()[0]
        assert http.get("/?hide=gone").status_code == 400


class UnreachableSource(LocalModelSource):
    """The local source, with its remote side down (as the Hub client is when offline)."""

    def resolve(self, model_id: ModelId, revision: str) -> tuple[str, PinKind]:
        raise SourceError("the Hugging Face Hub did not answer", "try again later")


def test_a_source_that_cannot_answer_changes_nothing(board: Context, tmp_path: Path) -> None:
    check_availability(board.store, board.source, lambda: NOW)
    shutil.rmtree(board.settings.model_root / "org" / "folder")
    down = UnreachableSource(board.settings.model_root, tmp_path / "checkouts")
    report = check_availability(board.store, down, lambda: NOW)
    assert len(report.unchecked) == 3 and report.changed == [] and report.unavailable == []
    assert visible(board.store, hide_unavailable=True) == [
        "org/folder",
        "org/kept",
        "org/rewritten",
    ]


def test_the_cli_reports_changes_and_fails_only_when_it_could_not_check(board: Context) -> None:
    env = {
        "OPENBOARD_HOME": str(board.settings.home),
        "OPENBOARD_MODELS": str(board.settings.model_root),
        "OPENBOARD_DATABASE_URL": board.settings.database_url,
    }
    runner = CliRunner()
    assert runner.invoke(app, ["availability"], env=env).exit_code == 0
    shutil.rmtree(board.settings.model_root / "org" / "folder")
    result = runner.invoke(app, ["availability", "--json"], env=env)
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    by_model = {c["model"]: c for c in payload["commits"]}
    assert payload["checked"] == 3 and by_model["org/folder"]["available"] is False
    assert (
        by_model["org/folder"]["changed_requests"] and not by_model["org/kept"]["changed_requests"]
    )
    only = runner.invoke(app, ["availability", "--model", "org/kept"], env=env)
    assert "1 commits checked: 0 unavailable, 0 changed, 0 not checked" in only.output
