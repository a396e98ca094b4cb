"""A benchmark's examples in their published order, read from the evaluation's own per-sample
records: each example is its dataset record as one JSON line, as a dataset file publishes it.

Reading the evaluated samples (not the dataset files) makes the probe work for every suite, and
probe exactly what the evaluation saw. GPQA's records are read and scored like any other, but no
text of theirs leaves this module: only log-likelihoods and counts do."""

import gzip
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openboard.evaluation import SAMPLES_FILE, BenchmarkSpec

__all__ = ["BenchmarkExamples", "benchmark_examples"]


@dataclass(frozen=True, slots=True)
class BenchmarkExamples:
    benchmark: str
    texts: tuple[str, ...]  # subtask after subtask (the suite's order), each in doc_id order
    groups: tuple[int, ...]  # examples per subtask: a shard never straddles two
    eval_chars: int  # characters the evaluation read and wrote for these examples (its cost)


def _eval_chars(record: dict[str, Any]) -> int:
    """What one sample cost the evaluation at the least, in characters: each distinct context
    once with every continuation scored after it, and the generation. Both backends compute a
    shared context once where they can (lm-eval's logits cache for one-token choices, openboard's
    key/value cache for all), so counting it once per choice would let the probe spend several
    times its share of the evaluation's real time."""
    arguments = record.get("arguments") or []
    if isinstance(arguments, dict):  # lm-eval versions that key arguments as gen_args_N / arg_N
        arguments = [list(v.values()) for v in arguments.values() if isinstance(v, dict)]
    contexts = {args[0] for args in arguments if args and isinstance(args[0], str)}
    continued = sum(len(part) for args in arguments for part in args[1:] if isinstance(part, str))
    responses = record.get("resps") or []
    generated = sum(len(r) for rs in responses for r in rs if isinstance(r, str))
    return sum(len(c) for c in contexts) + continued + generated


def _records(samples: Path) -> Iterable[dict[str, Any]]:
    with gzip.open(samples, "rt", encoding="utf-8") as stream:
        for line in stream:
            yield json.loads(line)


def benchmark_examples(artifacts: Path, benchmark: BenchmarkSpec) -> BenchmarkExamples:
    docs: dict[str, dict[int, str]] = {task: {} for task in benchmark.tasks}
    cost = 0
    for record in _records(artifacts / SAMPLES_FILE):
        task = record.get("task")
        if task not in docs or "doc" not in record:
            continue
        cost += _eval_chars(record)
        line = json.dumps(record["doc"], ensure_ascii=False, default=str)
        docs[task].setdefault(int(record["doc_id"]), line + "\n")
    ordered = [[docs[t][i] for i in sorted(docs[t])] for t in benchmark.tasks]
    return BenchmarkExamples(
        benchmark=benchmark.name,
        texts=tuple(text for task in ordered for text in task),
        groups=tuple(len(task) for task in ordered),
        eval_chars=cost,
    )
