"""openboard rescore: scores recomputed from stored outputs, the old ones kept in the history."""

import gzip
import json
from pathlib import Path
from typing import Any

from sqlalchemy import update
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.evaluation import SAMPLES_FILE, V2
from openboard.store._tables import benchmark_scores, requests

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
