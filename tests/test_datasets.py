"""The offline v2 mirror, built from the real staged data, and the whole v2 suite on a tiny model."""

import json
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from openboard.cli import app
from openboard.config import Settings
from openboard.evaluation import (
    V2,
    DatasetMissingError,
    dataset_status,
    ensure_punkt_tab,
    import_datasets,
)
from openboard.evaluation._datasets import official_dir, overrides_dir
from openboard.evaluation._v2_sources import V2_HUB_DATA

from .conftest import POSTGRES_SERVER
from .reference import lm_eval_raw_scores

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER),
    reason="the SQLite pass runs these: the worker here uses the v2 home's own SQLite on either pass",
)

LIMIT = 2
SEED = 1234


def test_import_mirrors_every_benchmark(v2_home: Path) -> None:
    settings = Settings(home=v2_home)
    status = {s.benchmark: s for s in dataset_status(settings.datasets_dir)}
    assert all(s.available for s in status.values()), status
    assert {b: s.records for b, s in status.items()} == {
        "bbh": 5761, "gpqa": 448 + 198 + 546, "ifeval": 541, "math": 5000, "mmlu_pro": 12032 + 70, "musr": 756,
    }  # fmt: skip
    private = settings.datasets_dir / "gpqa" / ".private"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in private.iterdir())


def test_bbh_canary_survives_the_copy(v2_home: Path, shared_data: Path) -> None:
    copied = Settings(home=v2_home).datasets_dir / "bbh" / "web_of_lies.json"
    assert copied.read_bytes() == (shared_data / "bbh" / "web_of_lies.json").read_bytes()
    assert "canary" in json.loads(copied.read_text())


def test_overrides_swap_only_the_data_source(v2_home: Path) -> None:
    folder = overrides_dir(Settings(home=v2_home).tasks_dir)
    files = sorted(folder.glob("*.yaml"))
    assert [f.stem for f in files] == sorted(V2.task_names)
    for file in files:
        override = yaml.safe_load(file.read_text())
        assert set(override) == {"include", "dataset_path", "dataset_name", "dataset_kwargs"}
        assert Path(override["include"]).is_relative_to(official_dir())
        assert all(Path(p).is_file() for p in override["dataset_kwargs"]["data_files"].values())


def test_incomplete_source_is_refused_with_a_hint(tmp_path: Path) -> None:
    (tmp_path / "bbh").mkdir()
    with pytest.raises(DatasetMissingError) as info:
        import_datasets(tmp_path, tmp_path / "mirror", tmp_path / "tasks", tmp_path / "cache")
    assert "docs/datasets.md" in info.value.hint


def test_punkt_tab_is_written_offline_and_splits_sentences(tmp_path: Path) -> None:
    import nltk

    folder = ensure_punkt_tab(tmp_path / "nltk")
    assert Path(nltk.data.find("tokenizers/punkt_tab/english/")) == folder
    text = "Dr. Smith arrived at 5 p.m. on Jan. 3. It rained. Then it stopped."
    assert nltk.sent_tokenize(text) == [
        "Dr. Smith arrived at 5 p.m. on Jan. 3.",
        "It rained.",
        "Then it stopped.",
    ]


def test_whole_v2_suite_runs_offline_and_matches_lm_eval(
    v2_home: Path, model_library: Path
) -> None:
    env = {
        "OPENBOARD_HOME": str(v2_home),
        "OPENBOARD_MODELS": str(model_library),
        "OPENBOARD_SUITE": "v2",
        "OPENBOARD_EVAL_LIMIT": str(LIMIT),
        "OPENBOARD_SEED": str(SEED),
    }
    runner = CliRunner()
    assert (
        runner.invoke(app, ["submit", "demo/tiny", "--model-type", "pretrained"], env=env).exit_code
        == 0
    )
    worked = runner.invoke(app, ["worker", "--once"], env=env)
    assert "FINISHED" in worked.output, worked.output
    board = json.loads(runner.invoke(app, ["leaderboard", "--json"], env=env).output)
    (row,) = board["rows"]
    assert [b["name"] for b in board["benchmarks"]] == [b.name for b in V2.benchmarks]
    assert set(row["scores"]) == {b.name for b in V2.benchmarks}  # every benchmark yields a score
    record = json.loads(
        (v2_home / "artifacts" / str(row["request_id"]) / "reproducibility.json").read_text()
    )
    assert row["eval_limit"] == LIMIT and row["data_modified"] is False  # marked as a small run
    pins = {d["benchmark"]: d["revision"] for d in record["suite"]["data"]}
    assert pins == {d.benchmark: d.revision for d in V2.data}
    assert record["datasets"]["modified"] is False
    assert set(record["datasets"]["benchmarks"]) == set(pins)
    assert all(len(sha) == 64 for sha in record["datasets"]["benchmarks"]["bbh"]["files"].values())
    ours = {s["task"]: s["raw"] for s in record["scores"]}
    reference = lm_eval_raw_scores(
        model_library / "demo" / "tiny",
        V2,
        overrides_dir(Settings(home=v2_home).tasks_dir),
        LIMIT,
        SEED,
        v2_home / "reference-nltk",
    )
    assert ours == reference  # every task, to the last digit


def _jsonl(path: Path) -> list[dict[str, Any]]:
    # split on newlines only: questions hold characters that str.splitlines() also breaks on
    return [
        json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()
    ]


def test_mmlu_pro_can_be_restored_to_an_earlier_revision(shared_data: Path, tmp_path: Path) -> None:
    revisions = _jsonl(shared_data / "mmlu_pro" / "test_earlier_revisions.jsonl")
    changed = {r["question_id"]: r["2024-07-14"] for r in revisions if "2024-07-14" in r}
    settings = Settings(home=tmp_path)
    # MMLU-Pro alone: the other five would be copied (GPQA decrypted, ~10 s) and never read here.
    mmlu_pro = tuple(hub for hub in V2_HUB_DATA if hub.benchmark == "mmlu_pro")
    import_datasets(
        shared_data, settings.datasets_dir, settings.tasks_dir, settings.cache_dir, "2024-07-14",
        mmlu_pro,
    )  # fmt: skip
    restored = {
        row["question_id"]: row for row in _jsonl(settings.datasets_dir / "mmlu_pro" / "test.jsonl")
    }
    latest = {row["question_id"]: row for row in _jsonl(shared_data / "mmlu_pro" / "test.jsonl")}
    assert len(restored) == len(latest) == 12032 and changed
    for question_id, old_fields in changed.items():
        assert all(restored[question_id][k] == v for k, v in old_fields.items())
    untouched = next(q for q in latest if q not in changed)
    assert restored[untouched] == latest[untouched]
    with pytest.raises(DatasetMissingError, match="no restorable revision"):
        import_datasets(
            shared_data, settings.datasets_dir, settings.tasks_dir, settings.cache_dir, "2023-01-01"
        )


def test_import_records_the_authors_files_and_marks_a_changed_one(
    shared_data: Path, tmp_path: Path
) -> None:
    import shutil

    from openboard.evaluation._mirror_lock import read_lock

    copy = tmp_path / "copy"
    shutil.copytree(shared_data, copy)
    clean = Settings(home=tmp_path / "clean")
    result = import_datasets(shared_data, clean.datasets_dir, clean.tasks_dir, clean.cache_dir)
    assert result.warnings == [] and result.missing == []
    lock = read_lock(clean.datasets_dir)
    assert {r.origin for r in lock.values()} == {"folder"} and not any(
        r.modified for r in lock.values()
    )

    edited = copy / "ifeval" / "input_data.jsonl"
    edited.chmod(0o644)
    edited.write_bytes(edited.read_bytes().replace(b"words", b"wordz", 1))
    changed = Settings(home=tmp_path / "changed")
    result = import_datasets(copy, changed.datasets_dir, changed.tasks_dir, changed.cache_dir)
    (warning,) = result.warnings
    assert "ifeval/input_data.jsonl" in warning and "modified data" in warning
    status = {s.benchmark: s for s in result.status}
    assert status["ifeval"].available and status["ifeval"].modified
    assert not status["bbh"].modified


def test_demo_v2_without_the_data_says_how_to_get_it(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        app, ["demo", "--v2", "--no-serve"], env={"OPENBOARD_HOME": str(tmp_path / "home")}
    )
    assert result.exit_code == 1
    assert "openboard datasets download" in result.stderr and "docs/datasets.md" in result.stderr
