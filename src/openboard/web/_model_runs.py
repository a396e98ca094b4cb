"""A model page's record of an evaluation's earlier numbers: its score history (rescores,
re-runs, migrations: which scorer, when, who, why) and, for a re-run, the per-sample comparison
with the run before it, which the worker wrote when it published the new run."""

import json
import re
from pathlib import Path
from typing import Any

from openboard.evaluation import COMPARISON_FILE
from openboard.queue import PREVIOUS_RUNS
from openboard.store import EvalRequest, ScoreChange, Store

__all__ = ["previous_run_names", "previous_runs", "run_folder"]

_RUN_NAME = re.compile(r"^(before-)?attempt-[0-9]{1,9}$")


def run_folder(folder: Path, run: str | None) -> Path | None:
    """The files of `run` (None: the current one) of the request whose artifacts are `folder`;
    None when it has no such earlier run (the name is checked before it touches a path)."""
    if run is None:
        return folder
    if not _RUN_NAME.fullmatch(run) or not (folder / PREVIOUS_RUNS / run).is_dir():
        return None
    return folder / PREVIOUS_RUNS / run


def previous_run_names(folder: Path) -> list[str]:
    runs = folder / PREVIOUS_RUNS
    if not runs.is_dir():
        return []
    return sorted(p.name for p in runs.iterdir() if p.is_dir() and _RUN_NAME.fullmatch(p.name))


def previous_runs(
    store: Store, folder: Path | None, request: EvalRequest, names: dict[str, str]
) -> dict[str, Any] | None:
    """None when the evaluation's numbers never changed."""
    changes = store.scores.history(request.id)
    if not changes:
        return None
    current = {
        b.benchmark: {"raw": b.raw, "normalized": b.normalized}
        for b in store.scores_by_benchmark(request.id)
    }
    # A re-run's entry holds the numbers it replaced; what replaced them is the next entry's old
    # side, or the current scores.
    after = [c.old_scores for c in changes[1:]] + [current]
    return {
        "history": [
            _entry(change, change.new_scores if change.new_scores is not None else new, names)
            for change, new in reversed(list(zip(changes, after, strict=True)))
        ],
        "comparison": _comparison(folder),
    }


def _entry(
    change: ScoreChange, new: dict[str, dict[str, float]], names: dict[str, str]
) -> dict[str, Any]:
    benchmarks = sorted(set(change.old_scores) | set(new))
    return {
        "kind": change.kind,
        "at": change.at.isoformat(),
        "actor": change.actor,
        "reason": change.reason,
        "old_scorer": change.old_scorer,
        "new_scorer": change.new_scorer,
        "old_average": change.old_average,
        "new_average": change.new_average,
        "run": _run_of(change),
        "benchmarks": [
            {
                "name": b,
                "display_name": names.get(b, b),
                "before": change.old_scores.get(b, {}).get("normalized"),
                "after": new.get(b, {}).get("normalized"),
            }
            for b in benchmarks
        ],
    }


def _run_of(change: ScoreChange) -> str | None:
    """The earlier run a re-run's entry kept (attempt-N), when its files were kept."""
    folder = change.details.get("artifacts")
    if isinstance(folder, str) and folder.startswith(f"{PREVIOUS_RUNS}/"):
        return folder.removeprefix(f"{PREVIOUS_RUNS}/")
    return None


def _comparison(folder: Path | None) -> dict[str, Any] | None:
    if folder is None or not (folder / COMPARISON_FILE).is_file():
        return None
    record: dict[str, Any] = json.loads((folder / COMPARISON_FILE).read_text(encoding="utf-8"))
    previous = str(record.get("previous", ""))
    record["previous_run"] = previous.removeprefix(f"{PREVIOUS_RUNS}/")
    return record
