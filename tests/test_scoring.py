import math

import pytest

from openboard.domain import TaskScore
from openboard.evaluation import (
    STARTER,
    ResultsFormatError,
    benchmark_score,
    co2_kg,
    normalize,
    parse_task_scores,
)


def test_gpqa_worked_example() -> None:
    assert normalize(0.6, 4) == pytest.approx(46.6667, abs=1e-4)


def test_musr_worked_example_normalizes_each_subtask_then_averages() -> None:
    tasks = [
        TaskScore("musr", name, "acc_norm", raw, None, n, normalize(raw, n), 10)
        for name, raw, n in [("mm", 0.7, 2), ("op", 0.4, 5), ("ta", 0.6, 3)]
    ]
    assert [t.normalized for t in tasks] == pytest.approx([40.0, 25.0, 40.0])
    assert benchmark_score("musr", tasks).normalized == pytest.approx(35.0)


def test_below_baseline_is_zero_and_generative_has_no_baseline() -> None:
    assert normalize(0.2, 4) == 0.0
    assert normalize(0.3, None) == pytest.approx(30.0)
    assert normalize(1.0, 19) == pytest.approx(100.0)


def _key(metric: str) -> str:
    return metric if "," in metric else f"{metric},none"


def _results(value: object) -> dict[str, object]:
    return {
        "results": {
            task: {
                **{_key(m): value for m in b.metrics},
                **{_key(m).replace(",", "_stderr,"): "N/A" for m in b.metrics},
            }
            for b in STARTER.benchmarks
            for task in b.tasks
        },
        "n-samples": {task: {"original": 5, "effective": 5} for task in STARTER.task_names},
    }


def test_parses_lm_eval_output_into_typed_scores() -> None:
    scores = parse_task_scores(_results(0.75), STARTER)
    assert [s.task for s in scores] == STARTER.task_names
    assert all(s.stderr is None and s.samples == 5 for s in scores)  # "N/A" stays missing, not 0
    assert scores[0].normalized == pytest.approx(50.0)


@pytest.mark.parametrize("bad", [math.nan, math.inf, "0.5", None])
def test_non_finite_scores_are_refused_not_zeroed(bad: object) -> None:
    with pytest.raises(ResultsFormatError):
        parse_task_scores(_results(bad), STARTER)


def test_missing_task_is_refused() -> None:
    results = _results(0.5)
    del results["results"][STARTER.task_names[0]]  # type: ignore[attr-defined]
    with pytest.raises(ResultsFormatError, match="no acc_norm,none"):
        parse_task_scores(results, STARTER)


def test_co2_follows_the_public_formula() -> None:
    assert co2_kg(3600, 5.6, 269.8) == pytest.approx(1.51088)
    assert co2_kg(1800, 0.3, 100.0) == pytest.approx(0.015)
