from dataclasses import dataclass, field


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
    extra: dict[str, float] = field(default_factory=dict)  # secondary metrics, by name


@dataclass(frozen=True, slots=True)
class BenchmarkScore:
    """A benchmark's score, its subtasks combined as its suite declares (raw 0-1, normalized 0-100)."""

    benchmark: str
    raw: float
    normalized: float
