"""A finished result's 95% confidence intervals, computed from what its evaluation stored and
recorded with it: when the evaluation finishes, on every rescore, and by `openboard intervals`
for results stored before (or imported without per-sample outputs)."""

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from openboard.domain import OpenboardError, ScoreInterval, Status
from openboard.evaluation import (
    OUTCOMES_FILE,
    SAMPLES_FILE,
    Suite,
    SuiteScores,
    TaskSamples,
    outcomes_from_samples,
    result_intervals,
    write_outcomes,
)
from openboard.store import EvalRequest, Store
from openboard.worker._rescore import VERDICTS_FILE, CachedJudge, _results, load_samples

__all__ = ["IntervalsOutcome", "compute_intervals", "intervals_for_all", "record_intervals"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class IntervalsOutcome:
    request_id: int
    status: str  # recorded, failed, skipped
    message: str


def compute_intervals(
    folder: Path, suite: Suite, request: EvalRequest, store: Store
) -> list[ScoreInterval]:
    """A bootstrap over the stored per-sample outcomes (kept beside them as OUTCOMES_FILE for
    comparisons), or without them the normal approximation from lm-eval's standard errors."""
    results = _results(folder / "results.json")
    samples = load_samples(folder / SAMPLES_FILE, set(suite.task_names))
    outcomes = None
    if samples is not None and _uncovered(suite, samples):
        # A samples file of some tasks only (MATH's generations kept for Math-Verify beside an
        # import): no bootstrap can score the average, so all of it is the normal approximation.
        log.debug("request #%d: the samples hold no records of %s: normal approximation",
                  request.id, ", ".join(_uncovered(suite, samples)))  # fmt: skip
        samples = None
    if samples is not None:
        outcomes = outcomes_from_samples(suite, samples, CachedJudge(folder / VERDICTS_FILE))
        write_outcomes(folder / OUTCOMES_FILE, outcomes)
    benchmarks = store.scores_by_benchmark(request.id)
    order = {b.name: n for n, b in enumerate(suite.benchmarks)}
    scores = SuiteScores(
        task_scores=store.task_scores(request.id),
        benchmark_scores=sorted(benchmarks, key=lambda b: order.get(b.benchmark, len(order))),
        average=request.average or 0.0,
        scorer=request.scorer or suite.scorer,
    )
    return result_intervals(suite, scores, results, outcomes)


def _uncovered(suite: Suite, samples: TaskSamples) -> list[str]:
    return [task for task in suite.task_names if not samples.get(task)]


def record_intervals(
    store: Store, artifacts_dir: Path, suites: Mapping[str, Suite], request: EvalRequest, *,
    actor: str, now: datetime,
) -> IntervalsOutcome:  # fmt: skip
    """Compute and store one finished request's intervals; a failure leaves its scores alone
    and says why in the outcome (the result then shows no interval until `openboard intervals`
    succeeds): the caller reports it, once per request or once per run."""
    suite = suites.get(request.suite)
    if suite is None:
        return IntervalsOutcome(request.id, "failed", f"no suite {request.suite!r}")
    try:
        intervals = compute_intervals(artifacts_dir / str(request.id), suite, request, store)
        store.intervals.replace(request.id, intervals, actor=actor, at=now)
    except (OpenboardError, LookupError) as exc:
        log.debug("request #%d: no confidence intervals: %s", request.id, exc)
        return IntervalsOutcome(request.id, "failed", str(exc))
    method = intervals[-1].method if intervals else "none"
    return IntervalsOutcome(request.id, "recorded", f"{len(intervals)} intervals ({method})")


def intervals_for_all(
    store: Store, artifacts_dir: Path, suites: Mapping[str, Suite], *, actor: str,
    now: datetime, force: bool = False,
) -> Iterator[IntervalsOutcome]:  # fmt: skip
    """Every finished request without intervals (all of them with `force`), oldest first."""
    finished = store.requests_with_status(frozenset({Status.FINISHED}))
    todo = (
        {r.id for r in finished} if force else set(store.intervals.missing(r.id for r in finished))
    )
    for request in finished:
        if request.id not in todo:
            yield IntervalsOutcome(request.id, "skipped", "already has intervals")
            continue
        yield record_intervals(store, artifacts_dir, suites, request, actor=actor, now=now)
