"""Suites an operator adds as files, end to end through the CLI."""

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from openboard.cli import app
from openboard.evaluation import SuiteFileError, load_suite_file, write_starter_tasks


def _suite_file(home: Path, tasks: Path, body: str | None = None) -> Path:
    suites = home / "suites"
    suites.mkdir(parents=True, exist_ok=True)
    file = suites / "quick.toml"
    file.write_text(
        body
        or f"""
name = "quick"
version = "1"
include_path = "{tasks}"
[[benchmarks]]
name = "logic"
display_name = "Logic"
metrics = ["acc_norm"]
tasks = {{ quick_web_of_lies = 2 }}
"""
    )
    return file


def _task_folder(tmp_path: Path) -> Path:
    """An operator's own lm-eval task: a starter task under another name."""
    source = tmp_path / "generated"
    write_starter_tasks(source, size=6, seed=9)
    folder = tmp_path / "my-tasks"
    folder.mkdir()
    config = yaml.safe_load((source / "starter_bbh_web_of_lies.yaml").read_text())
    config["task"] = "quick_web_of_lies"
    (folder / "quick_web_of_lies.yaml").write_text(yaml.safe_dump(config))
    return folder


def test_a_suite_from_a_file_is_evaluated_and_shown(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    _suite_file(Path(cli_env["OPENBOARD_HOME"]), _task_folder(tmp_path))
    env = {**cli_env, "OPENBOARD_SUITE": "quick"}
    runner = CliRunner()
    assert (
        runner.invoke(app, ["submit", "demo/tiny", "--model-type", "pretrained"], env=env).exit_code
        == 0
    )
    assert "FINISHED" in runner.invoke(app, ["worker", "--once"], env=env).output
    board = json.loads(runner.invoke(app, ["leaderboard", "--json"], env=env).output)
    assert board["benchmarks"] == [{"name": "logic", "display_name": "Logic"}]
    (row,) = board["rows"]
    assert set(row["scores"]) == {"logic"} and 0 <= row["scores"]["logic"]["normalized"] <= 100


def test_unknown_suite_is_refused_at_submission(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "OPENBOARD_SUITE": "nope"}
    result = CliRunner().invoke(app, ["submit", "demo/tiny", "--model-type", "pretrained"], env=env)
    assert (
        result.exit_code == 1
        and "unknown suite 'nope'" in result.output
        and "fix:" in result.output
    )


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ("name = ", "does not load"),
        ('name = "x"\nversion = "1"\ninclude_path = "."\n', "benchmarks"),
        (
            'name = "x"\nversion = "1"\ninclude_path = "."\n[[benchmarks]]\nname = "b"\nmetrics = ["acc"]\ntasks = { t = -1 }\n',
            "number of choices",
        ),
        (
            'name = "x"\nversion = "1"\ninclude_path = "."\n[[benchmarks]]\nname = "b"\nmetrics = []\ntasks = { t = 2 }\n',
            "metrics",
        ),
    ],
)
def test_broken_suite_files_name_the_problem(tmp_path: Path, body: str, words: str) -> None:
    file = _suite_file(tmp_path, tmp_path, body)
    with pytest.raises(SuiteFileError, match=words) as info:
        load_suite_file(file)
    assert info.value.hint


def test_v1_overrides_set_the_v1_shots_on_lm_evals_own_tasks(tmp_path: Path) -> None:
    from openboard.evaluation import V1, prepare_tasks

    folder = prepare_tasks(V1, tmp_path)
    shots = {}
    for file in sorted(folder.glob("*.yaml")):
        config = yaml.safe_load(file.read_text())
        assert Path(config["include"]).is_file(), config["include"]
        shots[file.stem] = config["num_fewshot"]
    assert sorted(shots) == sorted(V1.task_names) and len(shots) == 5 + 57
    assert (shots["arc_challenge"], shots["hellaswag"], shots["mmlu_anatomy"]) == (25, 10, 5)
    assert (shots["truthfulqa_mc2"], shots["winogrande"], shots["gsm8k"]) == (0, 5, 5)


def test_v1_offline_fails_as_dataset_missing_with_a_way_out(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "OPENBOARD_SUITE": "v1", "OPENBOARD_EVAL_LIMIT": "1"}
    runner = CliRunner()
    assert (
        runner.invoke(app, ["submit", "demo/tiny", "--model-type", "pretrained"], env=env).exit_code
        == 0
    )
    assert "FAILED" in runner.invoke(app, ["worker", "--once"], env=env).output
    (request,) = json.loads(runner.invoke(app, ["queue", "--json"], env=env).output)["requests"]
    assert request["failure_kind"] == "dataset missing"
    assert "Hub" in request["failure_reason"] and "OPENBOARD_OFFLINE" in request["failure_reason"]
