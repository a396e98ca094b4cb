"""Intervals recorded with a result: imports (normal approximation), rescores and the backfill
command (bootstrap over the stored samples), read back from the database."""

import gzip
import json
from pathlib import Path

from openboard.cli._context import Context
from openboard.domain import AVERAGE, IntervalMethod
from openboard.evaluation import OUTCOMES_FILE, SAMPLES_FILE, V2

from .stats_helpers import v2_outputs
from .test_rescore import _import_v2, run


def test_an_import_gets_normal_intervals_and_a_rescore_bootstraps_its_samples(
    tmp_path: Path, cli_env: dict[str, str], context: Context
) -> None:
    _import_v2(tmp_path, cli_env)
    store = context.store
    (request,) = store.list_requests()
    imported = {i.benchmark: i for i in store.intervals.of(request.id)}
    assert set(imported) == {*(b.name for b in V2.benchmarks), AVERAGE}
    assert {i.method for i in imported.values()} == {IntervalMethod.NORMAL}
    gpqa = imported["gpqa"]
    assert gpqa.low is not None and gpqa.high is not None and gpqa.low <= gpqa.estimate <= gpqa.high

    folder = context.settings.artifacts_dir / str(request.id)
    results, samples = v2_outputs(4, 31)
    (folder / "results.json").write_text(json.dumps(results))
    with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        for task, records in samples.items():
            stream.writelines(json.dumps({"task": task, **r}) + "\n" for r in records)
    done = run(cli_env, "rescore", "--request", str(request.id))
    assert done.exit_code == 0, done.output
    scores = {b.benchmark: b.normalized for b in store.scores_by_benchmark(request.id)}
    rescored = {i.benchmark: i for i in store.intervals.of(request.id)}
    assert {i.method for i in rescored.values()} == {IntervalMethod.BOOTSTRAP}
    assert all(rescored[b].estimate == scores[b] or abs(rescored[b].estimate - scores[b]) < 1e-9
               for b in scores)  # fmt: skip
    assert (folder / OUTCOMES_FILE).is_file()

    again = run(cli_env, "intervals")
    assert again.exit_code == 0 and f"#{request.id}\tskipped" in again.output, again.output
    forced = run(cli_env, "intervals", "--force")
    assert f"#{request.id}\trecorded\t7 intervals (bootstrap)" in forced.output, forced.output
    assert {i.benchmark: i for i in store.intervals.of(request.id)} == rescored


def test_a_result_whose_files_are_gone_says_so_and_keeps_no_interval(
    tmp_path: Path, cli_env: dict[str, str], context: Context
) -> None:
    _import_v2(tmp_path, cli_env)
    store = context.store
    (request,) = store.list_requests()
    (context.settings.artifacts_dir / str(request.id) / "results.json").unlink()
    outcome = run(cli_env, "intervals", "--request", str(request.id))
    assert outcome.exit_code == 1 and "results.json is missing" in outcome.output, outcome.output
    assert store.intervals.of(request.id)  # the import's intervals stay as they were


def test_a_rescore_run_says_once_which_results_got_no_intervals(
    tmp_path: Path, cli_env: dict[str, str], context: Context
) -> None:
    _import_v2(tmp_path, cli_env)
    _import_v2(tmp_path, cli_env, revision="d" * 40)
    results, samples = v2_outputs(5, 2)
    for record in samples["leaderboard_ifeval"]:  # as if lm-eval had renamed the metric
        record["inst_level_strict"] = record.pop("inst_level_strict_acc")
    for request in context.store.list_requests():
        folder = context.settings.artifacts_dir / str(request.id)
        (folder / "results.json").write_text(json.dumps(results))
        with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
            for task, records in samples.items():
                stream.writelines(json.dumps({"task": task, **r}) + "\n" for r in records)
    done = run(cli_env, "rescore", "--all", "--force")
    assert done.exit_code == 0, done.output
    lines = [line for line in done.output.splitlines() if "confidence intervals" in line]
    assert len(lines) == 1, done.output
    assert lines[0].startswith("no confidence intervals for 2 rescored request(s), e.g. #")
    assert "leaderboard_ifeval lack inst_level_strict_acc" in lines[0]
