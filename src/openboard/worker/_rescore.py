"""Rescoring: a finished request's scores recomputed from what its evaluation stored (lm-eval's
results file and per-sample outputs), without loading the model, through the same `score_suite`
as a fresh evaluation. Each request is one transaction; the scores it replaces go to the history."""

import gzip
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from openboard.domain import OpenboardError, Status
from openboard.evaluation import (
    SAMPLES_FILE,
    JudgePool,
    Scorer,
    Suite,
    SuiteScores,
    TaskSamples,
    judge_answers,
    score_suite,
)
from openboard.store import EvalRequest, Rescored, Store

VERDICTS_FILE = "math_verify_verdicts.json"
Judge = Callable[[Sequence[tuple[str, str]]], list[bool]]


class RescoreError(OpenboardError):
    """What a request's stored files lack for a rescore; its scores stay as they are."""


@dataclass(frozen=True, slots=True)
class RescoreOutcome:
    request_id: int
    status: str  # changed, unchanged, would change, failed, skipped
    message: str
    old_average: float | None = None
    new_average: float | None = None
    intervals_failed: str | None = None  # why its confidence intervals were not recorded


def rescore_request(
    store: Store, artifacts_dir: Path, suites: Mapping[str, Suite], request: EvalRequest, *,
    actor: str, now: datetime, reason: str, dry_run: bool = False, judge: Judge = judge_answers,
) -> RescoreOutcome:  # fmt: skip
    """`judge`: Math-Verify's verdicts (a `JudgePool` shared by many requests)."""
    try:
        scores = compute(artifacts_dir / str(request.id), suites, request, judge)
    except OpenboardError as exc:
        return RescoreOutcome(request.id, "failed", str(exc), request.average)
    delta = _delta(store, request, scores)
    if dry_run:
        status = "would change" if delta or request.scorer != scores.scorer else "unchanged"
        return RescoreOutcome(request.id, status, delta, request.average, scores.average)
    rescored = Rescored(scores.task_scores, scores.benchmark_scores, scores.average, scores.scorer)
    try:
        change = store.scores.replace(request.id, rescored, actor=actor, at=now, reason=reason)
    except LookupError as exc:
        return RescoreOutcome(request.id, "failed", str(exc), request.average)
    status = "unchanged" if change is None else "changed"
    from openboard.worker._intervals import record_intervals  # it reads files through this module

    intervals = record_intervals(store, artifacts_dir, suites, request, actor=actor, now=now)
    failed = intervals.message if intervals.status == "failed" else None
    return RescoreOutcome(request.id, status, delta, request.average, scores.average, failed)


def rescore_all(
    store: Store, artifacts_dir: Path, suites: Mapping[str, Suite], *, actor: str,
    now: datetime, reason: str, dry_run: bool = False, force: bool = False,
) -> Iterator[RescoreOutcome]:  # fmt: skip
    """Every finished request, oldest first. Those already scored by their suite's current scorer
    are skipped (unless `force`), so an interrupted run resumes where it stopped. One pool of
    Math-Verify judges serves them all."""
    with JudgePool() as pool:
        for request in store.requests_with_status(frozenset({Status.FINISHED})):
            suite = suites.get(request.suite)
            if not force and suite is not None and request.scorer == suite.scorer:
                yield RescoreOutcome(request.id, "skipped", f"already scored by {suite.scorer}")
                continue
            yield rescore_request(
                store, artifacts_dir, suites, request, actor=actor, now=now, reason=reason,
                dry_run=dry_run, judge=pool,
            )  # fmt: skip


def compute(
    folder: Path, suites: Mapping[str, Suite], request: EvalRequest, judge: Judge = judge_answers
) -> SuiteScores:
    suite = suites.get(request.suite)
    if suite is None:
        raise RescoreError(
            f"request #{request.id} was scored by suite {request.suite!r}, which openboard no longer has",
            "put its suite file back in the suites folder",
        )
    results = _results(folder / "results.json")
    judged = {t for b in suite.benchmarks if b.scorer is Scorer.MATH_VERIFY for t in b.tasks}
    samples = load_samples(folder / SAMPLES_FILE, judged) if judged else None
    return score_suite(results, suite, samples, CachedJudge(folder / VERDICTS_FILE, judge))


def _results(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise RescoreError(
            f"{path} is missing", "the evaluation's lm-eval results are needed to rescore it"
        ) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RescoreError(f"{path} does not read: {exc}", "restore it from a backup") from exc
    if not isinstance(data, dict):
        raise RescoreError(f"{path} is not an lm-eval results object", "restore it from a backup")
    return data


def load_samples(path: Path, tasks: set[str]) -> TaskSamples | None:
    """The stored per-sample records of `tasks`; None when the result kept none (an import)."""
    if not path.is_file():
        return None
    found: dict[str, list[dict[str, Any]]] = {}
    try:
        with gzip.open(path, "rt", encoding="utf-8") as stream:
            for line in stream:
                record = json.loads(line)
                if record.get("task") in tasks:
                    found.setdefault(record["task"], []).append(record)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RescoreError(f"{path} does not read: {exc}", "restore it from a backup") from exc
    return found


class CachedJudge:
    """Math-Verify verdicts kept beside the samples: a rescore under an unchanged scorer judges
    nothing twice. Keyed by the judge's version and a hash of (solution, generation)."""

    def __init__(self, path: Path, judge: Judge = judge_answers) -> None:
        self._path = path
        self._judge = judge
        self._version = f"math-verify {version('math-verify')}"

    def __call__(self, pairs: Sequence[tuple[str, str]]) -> list[bool]:
        cache = self._load()
        keys = [hashlib.sha256(f"{s}\0{g}".encode()).hexdigest() for s, g in pairs]
        missing = sorted({i: None for i, k in enumerate(keys) if k not in cache})
        if missing:
            for i, verdict in zip(missing, self._judge([pairs[i] for i in missing]), strict=True):
                cache[keys[i]] = verdict
            temporary = self._path.with_suffix(".tmp")
            temporary.write_text(json.dumps({"version": self._version, "verdicts": cache}))
            temporary.replace(self._path)
        return [cache[k] for k in keys]

    def _load(self) -> dict[str, bool]:
        try:
            data = json.loads(self._path.read_text())
        except (OSError, json.JSONDecodeError):
            return {}
        if not isinstance(data, dict) or data.get("version") != self._version:
            return {}
        return {str(k): bool(v) for k, v in data.get("verdicts", {}).items()}


def _delta(store: Store, request: EvalRequest, scores: SuiteScores) -> str:
    old = {b.benchmark: b.normalized for b in store.scores_by_benchmark(request.id)}
    parts = [
        f"{b.benchmark} {old.get(b.benchmark, float('nan')):.2f} → {b.normalized:.2f}"
        for b in scores.benchmark_scores
        if old.get(b.benchmark) != b.normalized
    ]
    head = f"{request.scorer or 'unrecorded'} → {scores.scorer}"
    return f"{head}: " + (", ".join(parts) if parts else "same numbers")
