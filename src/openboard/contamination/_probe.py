"""The contamination stage: the sharded exchangeability test per benchmark of a suite, run after
the evaluation on the same model, within a cost budget; its evidence is written beside the
evaluation's artifacts and stored with the result."""

import json
import logging
import time
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from openboard import __version__
from openboard.contamination._examples import BenchmarkExamples, benchmark_examples
from openboard.contamination._likelihood import OrderScorer
from openboard.evaluation import BenchmarkSpec, Suite
from openboard.stats import (
    METHOD,
    MIN_SHARDS,
    NotEnoughExamplesError,
    ShardPlan,
    plan_shards,
    sharded_test,
)

__all__ = [
    "EVIDENCE_FILE",
    "EVIDENCE_SCHEMA_VERSION",
    "Evidence",
    "ProbeSettings",
    "read_evidence",
    "run_probe",
    "write_evidence",
]

log = logging.getLogger(__name__)

EVIDENCE_FILE = "contamination.json"
EVIDENCE_SCHEMA_VERSION = 1
Progress = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class ProbeSettings:
    examples: int  # at most this many examples per benchmark
    shard_size: int
    permutations: int  # per shard
    budget: float  # the probe's cost at most this share of the benchmark's evaluation
    seed: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """One benchmark's test: its p-value, or why there is none (`p_value` None, `note` says)."""

    benchmark: str
    method: str
    p_value: float | None
    statistic: float | None
    mean_difference: float | None  # nats per shard, canonical minus the shuffles' mean
    shards: int
    shard_size: int
    permutations: int
    examples: int
    truncated: int  # examples cut to fit the context window (cut alike in every order)
    seed: int
    cost_share: float  # characters scored by the probe / read by the evaluation
    seconds: float
    versions: dict[str, str]
    note: str | None = None


def _versions() -> dict[str, str]:
    import torch
    import transformers

    return {"openboard": __version__, "torch": torch.__version__,
            "transformers": transformers.__version__}  # fmt: skip


def _benchmark_seed(seed: int, benchmark: str) -> int:
    """Each benchmark's permutations drawn from a stream of its own, fixed by the run's seed."""
    return zlib.crc32(f"{seed}:{benchmark}".encode())


def _affordable(examples: BenchmarkExamples, shards: tuple[tuple[int, int], ...],
                settings: ProbeSettings) -> int:  # fmt: skip
    """How many of the planned shards fit the budget (each is scored in 1 + P orders)."""
    spent, allowed = 0, settings.budget * examples.eval_chars
    for count, (start, end) in enumerate(shards):
        spent += (1 + settings.permutations) * sum(len(t) for t in examples.texts[start:end])
        if spent > allowed:
            return count
    return len(shards)


@dataclass(frozen=True, slots=True)
class _Planned:
    benchmark: str
    examples: BenchmarkExamples
    seed: int
    plan: ShardPlan | None = None
    note: str | None = None  # why there is no plan


def _empty(benchmark: str, settings: ProbeSettings, seed: int, note: str) -> Evidence:
    return Evidence(
        benchmark=benchmark, method=METHOD, p_value=None, statistic=None, mean_difference=None,
        shards=0, shard_size=settings.shard_size, permutations=settings.permutations, examples=0,
        truncated=0, seed=seed, cost_share=0.0, seconds=0.0, versions=_versions(), note=note,
    )  # fmt: skip


def _plan(artifacts: Path, spec: BenchmarkSpec, settings: ProbeSettings) -> _Planned:
    seed = _benchmark_seed(settings.seed, spec.name)
    examples = benchmark_examples(artifacts, spec)
    try:
        plan = plan_shards(examples.groups, settings.examples, settings.shard_size,
                           settings.permutations, seed)  # fmt: skip
    except NotEnoughExamplesError as exc:
        return _Planned(spec.name, examples, seed, note=str(exc))
    fits = _affordable(examples, plan.shards, settings)
    if fits < MIN_SHARDS:
        note = (f"not enough examples within the budget: {settings.budget:.0%} of this "
                f"benchmark's evaluation pays for {fits} shard(s), the test needs {MIN_SHARDS} "
                "(evaluate more examples, or lower the permutations per shard)")  # fmt: skip
        return _Planned(spec.name, examples, seed, note=note)
    return _Planned(spec.name, examples, seed, plan=plan.first(fits))


def _test(scorer: OrderScorer, planned: _Planned, plan: ShardPlan, settings: ProbeSettings,
          shard_done: Callable[[], None]) -> Evidence:  # fmt: skip
    started = time.monotonic()
    examples = planned.examples
    room = (scorer.context_length - scorer.prefix_tokens) // settings.shard_size
    used = [i for start, end in plan.shards for i in range(start, end)]
    tokenized = scorer.tokenize([examples.texts[i] for i in used], room)
    tokens = dict(zip(used, tokenized.tokens, strict=True))
    canonical, permuted = [], []
    for (start, end), orders in zip(plan.shards, plan.orders, strict=True):
        shard = [tokens[i] for i in range(start, end)]
        sequences = [[t for j in order for t in shard[j]] for order in [range(len(shard)), *orders]]
        scores = scorer.log_likelihoods(sequences)
        canonical.append(scores[0])
        permuted.append(scores[1:])
        shard_done()
    result = sharded_test(np.array(canonical), np.array(permuted))
    scored = sum(len(examples.texts[i]) for i in used) * (1 + settings.permutations)
    log.info("contamination test, %s: p = %.3g over %d shards of %d (%d permutations each)",
             planned.benchmark, result.p_value, result.shards, settings.shard_size,
             settings.permutations)  # fmt: skip
    return Evidence(
        benchmark=planned.benchmark, method=METHOD, p_value=result.p_value,
        statistic=result.statistic, mean_difference=result.mean_difference, shards=result.shards,
        shard_size=settings.shard_size, permutations=settings.permutations, examples=len(used),
        truncated=tokenized.truncated, seed=planned.seed,
        cost_share=scored / max(examples.eval_chars, 1),
        seconds=time.monotonic() - started, versions=_versions(),
    )  # fmt: skip


def run_probe(
    scorer: OrderScorer,
    suite: Suite,
    artifacts: Path,
    settings: ProbeSettings,
    progress: Progress,
) -> list[Evidence]:
    """The test on every benchmark of `suite`, from the evaluation's samples in `artifacts`;
    `progress(done, total)` counts shards over all benchmarks."""
    plans = [_plan(artifacts, spec, settings) for spec in suite.benchmarks]
    total = sum(len(p.plan.shards) for p in plans if p.plan is not None)
    done = 0

    def shard_done() -> None:
        nonlocal done
        done += 1
        progress(done, total)

    evidence = []
    for planned in plans:
        if planned.plan is None:
            log.info("contamination test, %s: %s", planned.benchmark, planned.note)
            evidence.append(_empty(planned.benchmark, settings, planned.seed, planned.note or ""))
        else:
            evidence.append(_test(scorer, planned, planned.plan, settings, shard_done))
    return evidence


def write_evidence(folder: Path, evidence: list[Evidence]) -> None:
    payload = {
        "schema_version": EVIDENCE_SCHEMA_VERSION,
        "benchmarks": [asdict(e) for e in evidence],
    }
    (folder / EVIDENCE_FILE).write_text(json.dumps(payload, indent=2))


def read_evidence(folder: Path) -> list[Evidence]:
    """The stage's evidence in a request's artifacts; empty when the stage did not run."""
    path = folder / EVIDENCE_FILE
    if not path.exists():
        return []
    data: dict[str, Any] = json.loads(path.read_text())
    return [Evidence(**e) for e in data["benchmarks"]]
