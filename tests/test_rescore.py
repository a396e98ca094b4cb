"""openboard rescore: scores recomputed from stored outputs, the old ones kept in the history."""

import gzip
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.config import Settings
from openboard.domain import IntervalMethod
from openboard.evaluation import SAMPLES_FILE, V2, V2_HUB_DATA, import_datasets
from openboard.evaluation._datasets import overrides_dir
from openboard.store._tables import benchmark_scores, requests, task_results

from .conftest import POSTGRES_SERVER
from .test_conformance import published_results

MATH_TASKS = [t for b in V2.benchmarks if b.name == "math" for t in b.tasks]


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


def _import_v2(tmp_path: Path, env: dict[str, str], revision: str = "c" * 40) -> None:
    file = tmp_path / "results.json"
    file.write_text(json.dumps(published_results(5)))
    outcome = run(env, "results", "import", str(file), "--model", "org/model",
                  "--revision", revision, "--model-type", "pretrained")  # fmt: skip
    assert outcome.exit_code == 0, outcome.output


def _write_samples(folder: Path) -> None:
    """Per MATH subset: one boxed right answer, one right answer in words, one wrong."""
    with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        for task in MATH_TASKS:
            for doc_id, text in enumerate(
                ["$\\boxed{12}$", "The final answer is $12$.", "So it is $\\boxed{13}$."]
            ):
                record = {"task": task, "doc_id": doc_id, "filtered_resps": [text],
                          "doc": {"solution": "Hence $\\boxed{12}$.", "answer": "12"}}  # fmt: skip
                stream.write(json.dumps(record) + "\n")


def test_rescore_judges_math_keeps_history_and_is_stable(
    tmp_path: Path, cli_env: dict[str, str], context: Context
) -> None:
    _import_v2(tmp_path, cli_env)
    store = context.store
    (request,) = store.list_requests()
    assert request.scorer == "v2/3 MATH by lm-eval: no samples"
    before = {b.benchmark: b for b in store.scores_by_benchmark(request.id)}
    _write_samples(context.settings.artifacts_dir / str(request.id))

    dry = run(cli_env, "rescore", "--request", str(request.id), "--dry-run")
    assert dry.exit_code == 0 and "would change" in dry.output, dry.output
    assert store.scores.history(request.id) == []

    done = run(cli_env, "rescore", "--request", str(request.id), "--reason", "Math-Verify")
    assert done.exit_code == 0 and "\tchanged\t" in done.output, done.output
    # Samples of MATH only: the intervals stay lm-eval's normal approximation, with no complaint.
    assert "confidence intervals" not in done.output, done.output
    assert {i.method for i in store.intervals.of(request.id)} == {IntervalMethod.NORMAL}
    after = {b.benchmark: b for b in store.scores_by_benchmark(request.id)}
    assert after["math"].raw == 2 / 3  # every subset: 2 of 3 answers right
    assert all(after[b] == before[b] for b in before if b != "math")
    math_tasks = [t for t in store.task_scores(request.id) if t.benchmark == "math"]
    assert {t.metric for t in math_tasks} == {"math_verify"}
    assert all("exact_match" in t.extra for t in math_tasks)  # lm-eval's own, kept beside it
    rescored = store.get_request(request.id)
    assert rescored is not None and rescored.scorer == "v2/3"
    [change] = store.scores.history(request.id)
    assert change.reason == "Math-Verify" and change.old_scorer == request.scorer
    assert change.old_scores["math"]["raw"] == before["math"].raw

    again = run(cli_env, "rescore", "--request", str(request.id))
    assert "\tunchanged\t" in again.output, again.output
    assert len(store.scores.history(request.id)) == 1
    assert run(cli_env, "rescore", "--all").output.count("skipped") == 1  # resumable: done is done


def test_a_request_missing_its_files_fails_alone_and_keeps_its_scores(
    tmp_path: Path, cli_env: dict[str, str], context: Context
) -> None:
    _import_v2(tmp_path, cli_env)
    _import_v2(tmp_path, cli_env, revision="d" * 40)
    store = context.store
    first, second = store.list_requests()
    with store.engine.begin() as conn:  # as an older scorer would have left them
        conn.execute(update(requests).values(scorer="v2/2"))
        conn.execute(update(benchmark_scores).where(benchmark_scores.c.benchmark == "gpqa")
                     .values(normalized=1.0))  # fmt: skip
    (context.settings.artifacts_dir / str(first.id) / "results.json").unlink()
    before = store.scores_by_benchmark(first.id)
    outcome = run(cli_env, "rescore", "--all")
    assert outcome.exit_code == 1
    assert (
        f"#{first.id}\tfailed\t" in outcome.output and "results.json is missing" in outcome.output
    )
    assert store.scores_by_benchmark(first.id) == before
    assert store.scores.history(first.id) == []
    # The other request was rescored in its own transaction.
    assert f"#{second.id}\tchanged\t" in outcome.output
    gpqa = {b.benchmark: b for b in store.scores_by_benchmark(second.id)}["gpqa"]
    assert gpqa.normalized != 1.0


MATH_CHECK_TASKS = ("leaderboard_math_algebra_hard", "leaderboard_math_prealgebra_hard")


@pytest.fixture(scope="session")
def math_mirror(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The v2 MATH data alone, imported as `datasets download --from` does: its task overrides."""
    home = tmp_path_factory.mktemp("math-home")
    settings = Settings(home=home)
    math = tuple(h for h in V2_HUB_DATA if h.benchmark == "math")
    import_datasets(shared_data, settings.datasets_dir, settings.tasks_dir,
                    settings.cache_dir / "datasets", sources=math)  # fmt: skip
    return overrides_dir(settings.tasks_dir)


@pytest.mark.skipif(bool(POSTGRES_SERVER), reason="a real evaluation: the SQLite pass runs it")
def test_rescoring_a_real_evaluation_gives_exactly_what_the_fresh_evaluation_stored(
    cli_env: dict[str, str], context: Context, math_mirror: Path
) -> None:
    suites = context.settings.suites_dir
    suites.mkdir(parents=True, exist_ok=True)
    tasks = ", ".join(f"{t} = 0" for t in MATH_CHECK_TASKS)
    (suites / "math-check.toml").write_text(
        f'name = "math-check"\nversion = "1"\ninclude_path = "{math_mirror}"\n'
        f'[[benchmarks]]\nname = "math"\ndisplay_name = "MATH Lvl 5"\nmetrics = ["exact_match"]\n'
        f'tasks = {{ {tasks} }}\naggregation = "size_weighted"\nscorer = "math_verify"\n'
    )
    env = {**cli_env, "OPENBOARD_SUITE": "math-check", "OPENBOARD_EVAL_LIMIT": "1"}
    assert run(env, "submit", "demo/tiny", "--model-type", "pretrained").exit_code == 0
    worked = run(env, "worker", "--once")
    assert "FINISHED" in worked.output, worked.output
    store = context.store
    (request,) = store.list_requests()
    fresh = (store.task_scores(request.id), store.scores_by_benchmark(request.id), request.average)
    assert request.scorer == "math-check/1" and {t.task for t in fresh[0]} == set(MATH_CHECK_TASKS)
    assert {t.metric for t in fresh[0]} == {"math_verify"}
    assert all("exact_match" in t.extra for t in fresh[0])  # lm-eval's own, kept beside it

    same = run(env, "rescore", "--request", str(request.id), "--force")
    assert "\tunchanged\t" in same.output, same.output  # an unchanged scorer: identical numbers
    # As an older scorer left it: other numbers, another scorer. The rescore must restore exactly
    # what the fresh evaluation stored, from the stored files alone.
    with store.engine.begin() as conn:
        conn.execute(update(requests).values(scorer="math-check/0", average=99.0))
        conn.execute(update(benchmark_scores).values(raw=0.99, normalized=99.0))
        conn.execute(update(task_results).values(raw=0.99, normalized=99.0, metrics=None))
    changed = run(env, "rescore", "--request", str(request.id), "--reason", "new scorer")
    assert "\tchanged\t" in changed.output, changed.output
    again = store.get_request(request.id)
    assert again is not None and (again.scorer, again.average) == (request.scorer, fresh[2])
    assert store.task_scores(request.id) == fresh[0]
    assert store.scores_by_benchmark(request.id) == fresh[1]
