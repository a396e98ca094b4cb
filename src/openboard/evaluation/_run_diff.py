"""Two runs of one evaluation compared sample by sample (an admin's re-run against the run
before it): which documents changed outcome, per task, and whether every output is identical, as
it must be on the same commit, hardware and versions.

Only task names, document ids and metric values are compared and kept: no sample text, so a
comparison is safe to show for tasks whose text is hidden (GPQA)."""

import gzip
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openboard.evaluation._samples import SAMPLES_FILE, parse_sample

COMPARISON_SCHEMA_VERSION = 1
COMPARISON_FILE = "comparison.json"  # beside a re-run's files: against the run before it
REPRODUCIBILITY_FILE = "reproducibility.json"
# What a run's reproducibility record says of its setup: equal setups must give equal outputs.
_SETUP_KEYS = ("versions", "hardware", "seed", "batch_size", "limit", "backend", "device")


@dataclass(frozen=True, slots=True)
class ChangedSample:
    task: str
    doc_id: int
    metric: str
    before: float | None
    after: float | None


@dataclass(frozen=True, slots=True)
class TaskComparison:
    task: str
    compared: int  # documents in both runs
    outcome_changed: int  # the metric's value differs
    output_changed: int  # the model's raw responses differ (text, log-probabilities)
    only_before: int
    only_after: int


@dataclass(frozen=True, slots=True)
class RunComparison:
    tasks: tuple[TaskComparison, ...]
    changed: tuple[ChangedSample, ...]  # the first `examples` outcome changes, by task and doc
    setup_differences: tuple[str, ...]  # "versions.lm_eval: 0.4.12 → 0.4.13"

    @property
    def identical_outputs(self) -> bool:
        return all(t.output_changed == t.only_before == t.only_after == 0 for t in self.tasks)

    def as_json(self, previous: str) -> dict[str, Any]:
        """The stored form; `previous`: the earlier run's folder, relative to the current one."""
        return {
            "schema_version": COMPARISON_SCHEMA_VERSION,
            "previous": previous,
            "identical_outputs": self.identical_outputs,
            "same_setup": not self.setup_differences,
            "setup_differences": list(self.setup_differences),
            "outcome_changed": sum(t.outcome_changed for t in self.tasks),
            "output_changed": sum(t.output_changed for t in self.tasks),
            "compared": sum(t.compared for t in self.tasks),
            "tasks": [
                {"task": t.task, "compared": t.compared, "outcome_changed": t.outcome_changed,
                 "output_changed": t.output_changed, "only_before": t.only_before,
                 "only_after": t.only_after}
                for t in self.tasks
            ],
            "changed": [
                {"task": c.task, "doc_id": c.doc_id, "metric": c.metric, "before": c.before,
                 "after": c.after}
                for c in self.changed
            ],
        }  # fmt: skip


_Key = tuple[str, int]
_Seen = tuple[str, float | None, str]  # metric, value, raw responses


def _digest(records: Iterable[dict[str, Any]]) -> dict[_Key, _Seen]:
    seen: dict[_Key, _Seen] = {}
    for record in records:
        sample = parse_sample(record, ())
        responses = json.dumps(record.get("resps"), sort_keys=True, default=str)
        seen[(sample.task, sample.doc_id)] = (sample.metric, sample.value, responses)
    return seen


def compare_samples(
    before: Iterable[dict[str, Any]], after: Iterable[dict[str, Any]], examples: int = 20
) -> tuple[tuple[TaskComparison, ...], tuple[ChangedSample, ...]]:
    """Per task: documents compared, changed outcome, changed output, and those in one run only."""
    old, new = _digest(before), _digest(after)
    tasks = sorted({task for task, _ in old} | {task for task, _ in new})
    per_task: list[TaskComparison] = []
    changed: list[ChangedSample] = []
    for task in tasks:
        old_docs = {d for t, d in old if t == task}
        new_docs = {d for t, d in new if t == task}
        both = sorted(old_docs & new_docs)
        outcome = output = 0
        for doc in both:
            (metric, was, was_out), (_, now, now_out) = old[(task, doc)], new[(task, doc)]
            output += was_out != now_out
            if was != now:
                outcome += 1
                if len(changed) < examples:
                    changed.append(ChangedSample(task, doc, metric, was, now))
        per_task.append(TaskComparison(task, len(both), outcome, output,
                                       len(old_docs - new_docs), len(new_docs - old_docs)))  # fmt: skip
    return tuple(per_task), tuple(changed)


def setup_differences(before: dict[str, Any], after: dict[str, Any]) -> tuple[str, ...]:
    """What differs between two runs' reproducibility records in what decides their outputs."""
    found: list[str] = []

    def walk(path: str, old: Any, new: Any) -> None:
        if isinstance(old, dict) and isinstance(new, dict):
            for key in sorted(set(old) | set(new)):
                walk(f"{path}.{key}", old.get(key), new.get(key))
        elif old != new:
            found.append(f"{path}: {old} → {new}")

    for key in _SETUP_KEYS:
        walk(key, before.get(key), after.get(key))
    return tuple(found)


def compare_runs(current: Path, previous: Path, examples: int = 20) -> RunComparison:
    """The run in `current` against the one in `previous` (each a run's artifacts folder)."""
    tasks, changed = compare_samples(
        _records(previous / SAMPLES_FILE), _records(current / SAMPLES_FILE), examples
    )
    return RunComparison(tasks, changed, setup_differences(_record(previous), _record(current)))


def _records(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        return
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            yield json.loads(line)


def _record(folder: Path) -> dict[str, Any]:
    path = folder / REPRODUCIBILITY_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return data if isinstance(data, dict) else {}
