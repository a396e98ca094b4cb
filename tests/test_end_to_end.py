"""The whole path through the CLI: init → submit → worker → leaderboard, checked against lm-eval itself."""

import csv
import io
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.config import Settings
from openboard.demo import TinyModelSpec, write_tiny_model
from openboard.demo._git import commit_all
from openboard.domain import AVERAGE, IntervalMethod
from openboard.evaluation import STARTER, prepare_tasks

from .conftest import database, git
from .reference import lm_eval_raw_scores

LIMIT = 12
SEED = 1234


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture
def env(cli_env: dict[str, str]) -> dict[str, str]:
    return {**cli_env, "OPENBOARD_EVAL_LIMIT": str(LIMIT), "OPENBOARD_SEED": str(SEED)}


@dataclass(frozen=True)
class Finished:
    """A home where demo/tiny was submitted at `main`, `main` then moved to new weights, and
    `worker --once` ran: the one real evaluation that the pinning, progress and export tests read."""

    env: dict[str, str]
    repo: Path
    pinned: str  # main's commit at submission
    submitted: str  # the revision the submission recorded
    moved: str  # main's commit after it moved
    worked: str  # the worker's output


@pytest.fixture(scope="module")
def finished(
    model_library: Path, migrated_template: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Finished]:
    folder = tmp_path_factory.mktemp("finished")
    repo = folder / "pinning-models" / "demo" / "tiny"
    shutil.copytree(model_library / "demo" / "tiny", repo)
    with database(folder / "home", migrated_template) as url:
        env = {"OPENBOARD_HOME": str(folder / "home"), "OPENBOARD_MODELS": str(repo.parents[1]),
               "OPENBOARD_EVAL_BATCH_SIZE": "8", "OPENBOARD_DATABASE_URL": url,
               "OPENBOARD_EVAL_LIMIT": str(LIMIT), "OPENBOARD_SEED": str(SEED)}  # fmt: skip
        pinned = git(repo, "rev-parse", "HEAD")
        submitted = run(
            env, "submit", "demo/tiny", "--model-type", "pretrained", "--revision", "main", "--json"
        )
        assert submitted.exit_code == 0, submitted.output
        # New weights on main after the submission: the worker must read the pinned commit.
        moved = write_tiny_model(repo, TinyModelSpec(seed=99))
        worked = run(env, "worker", "--once").output
        yield Finished(env, repo, pinned, json.loads(submitted.output)["revision"], moved, worked)


@pytest.fixture(scope="session")
def reference_scores(
    model_library: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, float]:
    """What lm-eval's own simple_evaluate gives for demo/tiny with the same tasks, limit and seeds."""
    return lm_eval_raw_scores(
        model_library / "demo" / "tiny",
        STARTER,
        prepare_tasks(STARTER, tmp_path_factory.mktemp("tasks")),
        LIMIT,
        SEED,
        tmp_path_factory.mktemp("nltk"),
    )


def _leaderboard(env: dict[str, str]) -> dict[str, Any]:
    result = run(env, "leaderboard", "--json")
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.output)
    return payload


def _task_raws(env: dict[str, str], model: str) -> dict[str, float]:
    home = Path(env["OPENBOARD_HOME"])
    rows = [r for r in _leaderboard(env)["rows"] if r["model"] == model]
    assert len(rows) == 1
    record = json.loads(
        (home / "artifacts" / str(rows[0]["request_id"]) / "reproducibility.json").read_text()
    )
    return {s["task"]: s["raw"] for s in record["scores"]}


def test_submit_evaluate_and_show_matches_lm_eval(
    env: dict[str, str], reference_scores: dict[str, float], context: Context
) -> None:
    assert run(env, "init").exit_code == 0
    submitted = run(env, "submit", "demo/tiny", "--model-type", "pretrained", "--json")
    assert submitted.exit_code == 0, submitted.output
    verdict = json.loads(submitted.output)
    assert verdict["accepted"] is True and verdict["request_id"] == 1
    assert len(verdict["revision"]) == 40

    queued = json.loads(run(env, "queue", "--json").output)
    assert queued["counts"]["PENDING"] == 1 and queued["requests"][0]["position"] == 1

    # The contamination stage turned on for this request by an admin (the suite's setting is off),
    # small: it runs after the scores and changes none of them.
    switched = run(env, "admin", "contamination", "1", "on", "--reason", "asked by its author")
    assert switched.exit_code == 0, switched.output
    probe = {"OPENBOARD_CONTAMINATION_SHARD_SIZE": "3", "OPENBOARD_CONTAMINATION_PERMUTATIONS": "2",
             "OPENBOARD_CONTAMINATION_BUDGET": "1"}  # fmt: skip
    worked = run({**env, **probe}, "worker", "--once")
    assert worked.exit_code == 0 and "FINISHED" in worked.output, worked.output

    board = _leaderboard(env)
    (row,) = board["rows"]
    assert row["model"] == "demo/tiny" and row["sha"] == verdict["revision"]
    assert _task_raws(env, "demo/tiny") == reference_scores  # to the last digit
    per_benchmark = []
    for benchmark in STARTER.benchmarks:
        normalized = [
            max(0.0, (reference_scores[t] - 1 / n) / (1 - 1 / n) * 100)
            if n
            else reference_scores[t] * 100
            for t, n in benchmark.tasks.items()
        ]
        per_benchmark.append(sum(normalized) / len(normalized))
        assert row["scores"][benchmark.name]["normalized"] == pytest.approx(
            per_benchmark[-1], rel=1e-12
        )
    assert row["average"] == pytest.approx(sum(per_benchmark) / len(per_benchmark), rel=1e-12)
    # The finish recorded a bootstrap over the run's own samples; the point is the board's score.
    intervals = {i.benchmark: i for i in context.store.intervals.of(row["request_id"])}
    assert set(intervals) == {*(b.name for b in STARTER.benchmarks), AVERAGE}
    assert {i.method for i in intervals.values()} == {IntervalMethod.BOOTSTRAP}
    for benchmark in STARTER.benchmarks:
        found = intervals[benchmark.name]
        assert found.estimate == pytest.approx(row["scores"][benchmark.name]["normalized"])
        assert found.documents == LIMIT * len(benchmark.tasks)
        assert (found.low is None) == (found.documents < 30), found

    again = run(env, "submit", "demo/tiny", "--model-type", "pretrained", "--json")
    assert again.exit_code == 1
    assert [f["check"] for f in json.loads(again.output)["findings"]] == ["duplicate"]

    csv_out = run(env, "leaderboard", "--csv").output  # the web's /leaderboard.csv
    (exported,) = csv.DictReader(io.StringIO(csv_out))
    assert csv_out.startswith("eval_name,Precision,") and exported["Model"] == "demo/tiny"

    # The sample browser reads the run's own samples: their right/wrong marks give lm-eval's score.
    with TestClient(context.web_app()) as http:
        tested = http.get("/api/models/demo/tiny").json()["evaluations"][0]["contamination"]
        by_name = {c["benchmark"]: c for c in tested}
        assert by_name.keys() == {b.name for b in STARTER.benchmarks}
        assert (
            by_name["starter_bbh"]["shards"] == 12 and 0 <= by_name["starter_bbh"]["p_value"] <= 1
        )
        assert by_name["starter_ifeval"]["p_value"] is None  # 12 examples make 4 shards of 3
        assert by_name["starter_ifeval"]["reading"].startswith("not enough examples")
        # The board's optional column and the exports carry the smallest p-value, benchmark named.
        smallest = min((c for c in tested if c["p_value"] is not None), key=lambda c: c["p_value"])
        assert (
            exported["Contamination benchmark"]
            == smallest["benchmark"]
            == row["contamination_benchmark"]
        )
        assert float(exported["Contamination p (min)"]) == smallest["p_value"]
        assert row["contamination_p"] == smallest["p_value"]
        page = http.get("/models/demo/tiny").text
        assert "lm-eval --model hf" in page and "/models/demo/tiny/samples/1?task=" in page
        metrics = {
            t["task"]: t["metric"].split(",")[0]
            for t in http.get("/api/models/demo/tiny").json()["evaluations"][0]["tasks"]
        }
        for task, raw in reference_scores.items():
            samples = http.get(f"/api/models/demo/tiny/samples/1?task={task}").json()["samples"]
            assert len(samples) == LIMIT and all(s["task"] == task for s in samples)
            marks = [s["correct"] for s in samples]
            if samples[0]["metric"] == metrics[task]:  # IFEval's score mixes two metrics
                assert sum(marks) / LIMIT == pytest.approx(raw)
            wrong = http.get(f"/api/models/demo/tiny/samples/1?task={task}&wrong=true").json()
            assert len(wrong["samples"]) == marks.count(False)


def test_evaluation_reads_the_pinned_commit_not_the_moving_branch(
    finished: Finished, reference_scores: dict[str, float]
) -> None:
    assert finished.submitted == finished.pinned
    assert finished.moved != finished.pinned
    assert git(finished.repo, "rev-parse", "main") == finished.moved

    assert "FINISHED" in finished.worked
    (row,) = _leaderboard(finished.env)["rows"]
    assert row["sha"] == finished.pinned
    assert _task_raws(finished.env, "demo/tiny") == reference_scores


@pytest.mark.parametrize(
    ("model", "check", "words"),
    [
        ("nobody/missing", "source", "not found"),
        ("bad/remote-code", "remote_code", "remote code"),
        ("bad/pickled", "safetensors", "pickled"),
        ("../etc", "model_id", "not allowed"),
    ],
)
def test_refusals_explain_themselves_and_queue_nothing(
    env: dict[str, str], model: str, check: str, words: str
) -> None:
    result = run(env, "submit", model, "--model-type", "pretrained", "--json")
    assert result.exit_code == 1, result.output
    payload = json.loads(result.output)
    assert payload["accepted"] is False
    errors = [f for f in payload["findings"] if f["severity"] == "error"]
    assert any(f["check"] == check and words in f["message"] and f["hint"] for f in errors), errors
    human = run(env, "validate", model, "--model-type", "pretrained")
    assert human.exit_code == 1 and "refused" in human.output and "✗" in human.output
    assert f"│ {check}" in human.output
    assert json.loads(run(env, "queue", "--json").output)["requests"] == []


def test_chat_template_toggle_needs_a_template(
    env: dict[str, str], model_library: Path, tmp_path: Path
) -> None:
    root = tmp_path / "chatless"
    repo = root / "demo" / "nochat"
    shutil.copytree(model_library / "demo" / "tiny", repo)
    (repo / "chat_template.jinja").unlink()
    commit_all(repo, "drop chat template")
    env = {**env, "OPENBOARD_MODELS": str(root)}
    refused = run(env, "validate", "demo/nochat", "--model-type", "chat", "--json")
    assert refused.exit_code == 1
    assert "chat_template" in [f["check"] for f in json.loads(refused.output)["findings"]]
    accepted = run(
        env, "validate", "demo/nochat", "--model-type", "chat", "--no-chat-template", "--json"
    )
    assert accepted.exit_code == 0
    (warning,) = json.loads(accepted.output)["findings"]
    assert warning["severity"] == "warning" and warning["check"] == "chat_template"


def test_failures_are_stored_with_their_reason(
    env: dict[str, str], model_library: Path, tmp_path: Path
) -> None:
    root = tmp_path / "failing"
    shutil.copytree(model_library / "demo" / "plain", root / "demo" / "plain")
    shutil.copytree(model_library / "demo" / "tiny", root / "demo" / "tiny")
    env = {**env, "OPENBOARD_MODELS": str(root)}
    assert run(env, "submit", "demo/plain", "--model-type", "pretrained").exit_code == 0
    assert (
        run(
            env, "submit", "demo/tiny", "--model-type", "pretrained", "--precision", "8bit"
        ).exit_code
        == 0
    )
    (root / "demo" / "plain" / "README.md").write_text(
        "edited after submission"
    )  # the fingerprint moves
    assert "FAILED" in run(env, "worker", "--once").output
    assert "FAILED" in run(env, "worker", "--once").output
    requests = json.loads(run(env, "queue", "--json").output)["requests"]
    reasons = {r["model"]: r["failure_reason"] for r in requests}
    assert "changed since it was submitted" in reasons["demo/plain"]
    assert "8bit needs a GPU" in reasons["demo/tiny"]
    kinds = {r["model"]: r["failure_kind"] for r in requests}
    assert kinds == {"demo/plain": "model source", "demo/tiny": "unsupported here"}
    assert all(r["status"] == "FAILED" for r in requests)
    assert _leaderboard(env)["rows"] == []


@pytest.mark.parametrize(
    ("card", "words"),
    [
        (None, "no model card"),
        ("---\nlicense: mit\n---\nToo short.", "at least 200"),
        ("---\ntags: [x]\n---\n" + "A long enough description. " * 10, "no license"),
        ("---\nlicense: [unclosed\n---\n" + "text " * 60, "does not load"),
    ],
)
def test_model_card_rules(
    env: dict[str, str], model_library: Path, tmp_path: Path, card: str | None, words: str
) -> None:
    root = tmp_path / "cards"
    repo = root / "demo" / "card"
    shutil.copytree(model_library / "demo" / "tiny", repo)
    if card is None:
        (repo / "README.md").unlink()
    else:
        (repo / "README.md").write_text(card)
    commit_all(repo, "edit card")
    result = run(
        {**env, "OPENBOARD_MODELS": str(root)},
        "validate",
        "demo/card",
        "--model-type",
        "pretrained",
        "--json",
    )
    assert result.exit_code == 1
    findings = [f for f in json.loads(result.output)["findings"] if f["check"] == "model_card"]
    assert findings and words in findings[0]["message"] and findings[0]["hint"], findings


def _shard(repo: Path) -> dict[str, str]:
    """Split model.safetensors into two shards with an index, as save_pretrained does for big models."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(repo / "model.safetensors")
    names = sorted(tensors)
    halves = {
        "model-00001-of-00002.safetensors": names[: len(names) // 2],
        "model-00002-of-00002.safetensors": names[len(names) // 2 :],
    }
    weight_map = {}
    for shard, members in halves.items():
        save_file({n: tensors[n] for n in members}, repo / shard, metadata={"format": "pt"})
        weight_map.update(dict.fromkeys(members, shard))
    (repo / "model.safetensors").unlink()
    return weight_map


@pytest.mark.parametrize("breakage", ["none", "missing_shard", "wrong_tensor"])
def test_sharded_checkpoints_must_match_their_index(
    env: dict[str, str], model_library: Path, tmp_path: Path, breakage: str
) -> None:
    root = tmp_path / "sharded"
    repo = root / "demo" / "sharded"
    shutil.copytree(model_library / "demo" / "tiny", repo)
    weight_map = _shard(repo)
    if breakage == "missing_shard":
        (repo / "model-00002-of-00002.safetensors").unlink()
    if breakage == "wrong_tensor":
        first = next(iter(weight_map))
        weight_map[first] = (
            "model-00002-of-00002.safetensors"
            if weight_map[first].startswith("model-00001")
            else "model-00001-of-00002.safetensors"
        )
    (repo / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {}, "weight_map": weight_map})
    )
    commit_all(repo, "sharded")
    result = run(
        {**env, "OPENBOARD_MODELS": str(root)},
        "validate",
        "demo/sharded",
        "--model-type",
        "pretrained",
        "--json",
    )
    payload = json.loads(result.output)
    shard_findings = [f["message"] for f in payload["findings"] if f["check"] == "shards"]
    if breakage == "none":
        assert result.exit_code == 0 and not shard_findings, payload
        unsharded = json.loads(
            run(env, "validate", "demo/tiny", "--model-type", "pretrained", "--json").output
        )
        assert payload["params"] == unsharded["params"]
    else:
        assert result.exit_code == 1 and shard_findings, payload
        assert (
            ("missing" in shard_findings[0])
            if breakage == "missing_shard"
            else ("not in the shard" in shard_findings[0])
        )


def test_progress_is_recorded_while_lm_eval_runs(finished: Finished) -> None:
    (request,) = json.loads(run(finished.env, "queue", "--json").output)["requests"]
    progress = request["progress"]
    # one log-likelihood request per choice, one generation per generative document
    assert progress["total"] == LIMIT * (2 + 2 + 19) + LIMIT * 2 + LIMIT
    assert progress["done"] == progress["total"] and progress["percent"] == 100.0
    assert request["eval_seconds"] > 0
    # A CPU worker is charged its own power (co2_cpu_power_kw), not the public site's 8 GPUs.
    cpu_kw = Settings.model_fields["co2_cpu_power_kw"].default
    assert request["co2_kg"] == pytest.approx(
        cpu_kw * request["eval_seconds"] / 3600 * 269.8 / 1000
    )


def test_a_model_that_does_not_load_fails_as_model_load_with_the_log(
    env: dict[str, str], model_library: Path, tmp_path: Path
) -> None:
    root = tmp_path / "unloadable"
    repo = root / "demo" / "mismatch"
    shutil.copytree(model_library / "demo" / "tiny", repo)
    config = json.loads((repo / "config.json").read_text())
    config["vocab_size"] = 1000  # the embedding in the weights has 512 rows
    (repo / "config.json").write_text(json.dumps(config))
    commit_all(repo, "config disagrees with weights")
    env = {**env, "OPENBOARD_MODELS": str(root)}
    assert run(env, "submit", "demo/mismatch", "--model-type", "pretrained").exit_code == 0
    assert "FAILED" in run(env, "worker", "--once").output
    (request,) = json.loads(run(env, "queue", "--json").output)["requests"]
    assert request["failure_kind"] == "model load"
    assert "did not load" in request["failure_reason"]
    assert request["log_tail"] and "Traceback" in request["log_tail"]


def test_results_export_and_import_round_trip(finished: Finished, tmp_path: Path) -> None:
    env = finished.env
    exported = run(env, "results", "export", "1")
    assert exported.exit_code == 0
    file = tmp_path / "results_tiny.json"
    file.write_text(exported.output)

    other = {
        **env,
        "OPENBOARD_HOME": str(tmp_path / "other-home"),
        "OPENBOARD_DATABASE_URL": f"sqlite:///{tmp_path / 'other-home' / 'openboard.db'}",
    }
    sha = "c" * 40
    imported = run(
        other,
        "results",
        "import",
        str(file),
        "--model",
        "elsewhere/tiny",
        "--revision",
        sha,
        "--model-type",
        "chat",
    )
    assert imported.exit_code == 0, imported.output
    (theirs,) = _leaderboard(other)["rows"]
    (ours,) = _leaderboard(env)["rows"]
    assert theirs["model"] == "elsewhere/tiny" and theirs["sha"] == sha
    assert theirs["scores"] == ours["scores"] and theirs["average"] == ours["average"]

    again = run(
        other,
        "results",
        "import",
        str(file),
        "--model",
        "elsewhere/tiny",
        "--revision",
        sha,
        "--model-type",
        "chat",
    )
    assert again.exit_code == 1 and "already FINISHED" in again.output

    broken = tmp_path / "broken.json"
    broken.write_text('{"results": {"some_task": {"acc,none": 0.5}}}')
    refused = run(
        other,
        "results",
        "import",
        str(broken),
        "--model",
        "x/y",
        "--revision",
        sha,
        "--model-type",
        "chat",
    )
    assert (
        refused.exit_code == 1
        and "does not hold every task" in refused.output
        and "fix:" in refused.output
    )
    assert run(other, "results", "export", "99").exit_code == 1
