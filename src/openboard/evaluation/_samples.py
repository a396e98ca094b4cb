"""Per-sample outputs (lm-eval's logged samples, as the worker stores them) read into typed records.

The file is lm-eval's own format, one JSON object per line with the task name added; this module is
the one place that knows its shape. Samples of tasks whose authors ask that their questions never
appear in plain text on the web (GPQA) keep only whether the answer was right.
"""

import gzip
import json
from collections.abc import Iterator
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

# GPQA's authors ask that its questions and answers are not shown in plain text (they would leak
# into training data); the match is on the lm-eval task name.
HIDDEN_TEXT_TASKS = ("*gpqa*",)
SAMPLES_FILE = "samples.jsonl.gz"


@dataclass(frozen=True, slots=True)
class Sample:
    task: str
    doc_id: int
    prompt: str | None  # None: hidden (see HIDDEN_TEXT_TASKS)
    output: str | None  # the generated text, or the choice the model scored highest
    target: str | None
    choices: tuple[str, ...] | None  # multiple choice: every continuation scored
    metric: str
    value: float | None
    correct: bool | None  # None: the metric is not a right/wrong one
    hidden: bool


@dataclass(frozen=True, slots=True)
class SamplePage:
    samples: list[Sample]
    has_more: bool


def text_hidden(task: str, patterns: tuple[str, ...] = HIDDEN_TEXT_TASKS) -> bool:
    return any(fnmatch(task.lower(), pattern) for pattern in patterns)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def parse_sample(
    record: dict[str, Any], hidden_tasks: tuple[str, ...] = HIDDEN_TEXT_TASKS
) -> Sample:
    task = str(record.get("task", ""))
    arguments = record.get("arguments") or []
    if isinstance(arguments, dict):  # lm-eval versions that key arguments as gen_args_N / arg_N
        arguments = [list(v.values()) for v in arguments.values() if isinstance(v, dict)]
    prompt = _text(arguments[0][0]) if arguments and arguments[0] else ""
    responses = record.get("filtered_resps") or []
    second = arguments[0][1] if arguments and len(arguments[0]) > 1 else None
    choices: tuple[str, ...] | None = None
    if isinstance(second, str) and responses and isinstance(responses[0], list | tuple):
        # loglikelihood: one (log-probability, is-greedy) per choice; the answer is the best one
        choices = tuple(_text(a[1]).strip() for a in arguments)
        best = max(range(len(responses)), key=lambda i: float(responses[i][0]))
        output: str | None = choices[best]
    else:
        output = _text(responses[0]) if responses else None
    target = record.get("target")
    if choices is not None and isinstance(target, int) and 0 <= target < len(choices):
        target_text: str | None = choices[target]
    else:
        target_text = None if target is None else _text(target)
    metrics = record.get("metrics") or []
    metric = str(metrics[0]) if metrics else ""
    raw_value = record.get(metric)
    value = float(raw_value) if isinstance(raw_value, int | float) else None
    correct = None if value is None or value not in (0.0, 1.0) else value == 1.0
    hidden = text_hidden(task, hidden_tasks)
    return Sample(
        task=task,
        doc_id=int(record.get("doc_id", -1)),
        prompt=None if hidden else prompt,
        output=None if hidden else output,
        target=None if hidden else target_text,
        choices=None if hidden else choices,
        metric=metric,
        value=value,
        correct=correct,
        hidden=hidden,
    )


def _records(path: Path) -> Iterator[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for line in stream:
            yield json.loads(line)


def read_samples(
    folder: Path, task: str | None, wrong_only: bool, offset: int, limit: int,
    hidden_tasks: tuple[str, ...] = HIDDEN_TEXT_TASKS, doc_id: int | None = None,
) -> SamplePage:  # fmt: skip
    """One page of a run's samples, streamed (a v2 file holds tens of thousands); `doc_id`: only
    that document (of `task`, or of every task)."""
    path = folder / SAMPLES_FILE
    if not path.is_file():
        return SamplePage([], has_more=False)
    page: list[Sample] = []
    skipped = 0
    for record in _records(path):
        if task is not None and record.get("task") != task:
            continue
        if doc_id is not None and record.get("doc_id") != doc_id:
            continue
        sample = parse_sample(record, hidden_tasks)
        if wrong_only and sample.correct is not False:
            continue
        if skipped < offset:
            skipped += 1
            continue
        if len(page) == limit:
            return SamplePage(page, has_more=True)
        page.append(sample)
    return SamplePage(page, has_more=False)
