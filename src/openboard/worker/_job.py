"""What a worker hands an evaluation, and what comes back: typed, so the queue logic is one match."""

import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from openboard.domain import BenchmarkScore, FailureKind, TaskScore
from openboard.store import EvalRequest, EvaluationCost


@dataclass(frozen=True, slots=True)
class EvaluationJob:
    request: EvalRequest  # as claimed: `attempts` is this attempt's number (the fencing token)
    workdir: Path  # private to this attempt; published as the request's artifacts when recorded


@dataclass
class JobControl:
    """How the worker steers a running evaluation: a deadline, and a stop with its reason."""

    deadline: datetime | None = None
    _stop: threading.Event = field(default_factory=threading.Event)
    _reason: str = ""

    def stop(self, reason: str) -> None:
        if not self._stop.is_set():
            self._reason = reason
            self._stop.set()

    @property
    def stop_reason(self) -> str | None:
        return self._reason if self._stop.is_set() else None


@dataclass(frozen=True, slots=True)
class Finished:
    task_scores: list[TaskScore]
    benchmark_scores: list[BenchmarkScore]
    average: float
    eval_seconds: float
    co2_kg: float
    scorer: str | None = None  # the suite scorer that computed the scores
    eval_limit: int | None = None  # samples per task; None: all of them
    data_modified: bool = False  # the benchmark data differed from its published checksums
    cost: EvaluationCost | None = None  # tokens, tokens/s, device-hours: the board's columns


@dataclass(frozen=True, slots=True)
class Failed:
    kind: FailureKind
    reason: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """The worker stopped the evaluation (cancelled, lease lost, shutting down); nothing to record."""

    reason: str


@dataclass(frozen=True, slots=True)
class Lost:
    """The attempt ended without a result by no doing of the model (its evaluation process was
    killed from outside): retried like a lost worker's while attempts remain."""

    reason: str


Outcome = Finished | Failed | Lost | Stopped


class Evaluation(Protocol):
    """Runs one job to an outcome. The real one is lm-eval in a child process
    (`SubprocessEvaluation`); tests plug in fast stand-ins through this interface."""

    def run(self, job: EvaluationJob, control: JobControl) -> Outcome: ...
