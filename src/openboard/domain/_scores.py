from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class TaskScore:
    """One lm-eval task's headline metric, raw (0-1) and normalized (0-100 above the random baseline)."""

    benchmark: str
    task: str
    metric: str
    raw: float
    stderr: float | None
    num_choices: int | None
    normalized: float
    samples: int


@dataclass(frozen=True, slots=True)
class BenchmarkScore:
    """A benchmark's score: the unweighted mean over its subtasks."""

    benchmark: str
    raw: float
    normalized: float
