"""lm-eval results JSON in and out: scores evaluated elsewhere join the leaderboard, and ours leave it."""

import json
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from openboard.domain import OpenboardError, Status
from openboard.evaluation import Suite, judge_answers, score_suite
from openboard.queue import claim, finish
from openboard.store import EvalRequest, NewRequest, Store
from openboard.worker._intervals import record_intervals


class ResultsImportError(OpenboardError):
    pass


def suite_of(results: dict[str, Any], suites: Mapping[str, Suite]) -> Suite:
    """The suite whose tasks all appear in an lm-eval results file."""
    tasks = set(results.get("results", {}))
    for suite in suites.values():
        if set(suite.task_names) <= tasks:
            return suite
    raise ResultsImportError(
        "the results file does not hold every task of any suite openboard knows",
        f"known suites: {', '.join(f'{s.name} ({len(s.task_names)} tasks)' for s in suites.values())}",
    )


def import_results(
    store: Store,
    artifacts_dir: Path,
    suites: Mapping[str, Suite],
    path: Path,
    new: NewRequest,
    actor: str,
    now: datetime,
) -> EvalRequest:
    """Queue `new` and finish it at once with the scores in lm-eval's results file at `path`."""
    try:
        results = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ResultsImportError(
            f"cannot read {path}: {exc}", "give the results_*.json that lm-eval wrote"
        ) from exc
    if not isinstance(results, dict):
        raise ResultsImportError(
            f"{path} is not an lm-eval results object", "give the results_*.json that lm-eval wrote"
        )
    suite = suite_of(results, suites)
    # No per-sample outputs come with a results file: MATH stays as lm-eval scored it, and says so.
    scores = score_suite(results, suite, None, judge_answers)  # refuses NaN, missing metrics
    request = store.add_request(replace(new, suite=suite.name), actor=actor)
    running = claim(store, request, actor, lambda: now)
    if running is None:  # a worker claimed it between the insert and here
        raise ResultsImportError(
            f"a worker took request #{request.id} before its import finished",
            f"let it evaluate, or `openboard admin cancel {request.id}` and import again",
        )
    folder = artifacts_dir / str(request.id)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(results, indent=2))
    finish(store, running, actor=actor, at=now, task_scores=scores.task_scores,
           benchmark_scores=scores.benchmark_scores, average=scores.average,
           scorer=scores.scorer, eval_seconds=0.0, co2_kg=0.0)  # fmt: skip
    done = store.get_request(request.id)
    assert done is not None
    record_intervals(store, artifacts_dir, suites, done, actor=actor, now=now)
    return done


def export_results(store: Store, artifacts_dir: Path, request_id: int) -> dict[str, Any]:
    request = store.get_request(request_id)
    if request is None:
        raise ResultsImportError(f"no request #{request_id}", "see `openboard queue` for the ids")
    file = artifacts_dir / str(request_id) / "results.json"
    if request.status is not Status.FINISHED or not file.is_file():
        raise ResultsImportError(
            f"request #{request_id} is {request.status} and has no lm-eval results",
            "export a FINISHED request",
        )
    results: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return results
