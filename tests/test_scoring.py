import math

import pytest

from openboard.domain import TaskScore
from openboard.evaluation import (
    STARTER,
    V2,
    Aggregation,
    BenchmarkSpec,
    ResultsFormatError,
    benchmark_score,
    co2_kg,
    normalize,
    parse_task_scores,
)

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


def test_gpqa_worked_example() -> None:
    assert normalize(0.6, 4) == pytest.approx(46.6667, abs=1e-4)


def test_musr_worked_example_normalizes_each_subtask_then_averages() -> None:
    tasks = [
        TaskScore("musr", name, "acc_norm", raw, None, n, normalize(raw, n), 10)
        for name, raw, n in [("mm", 0.7, 2), ("op", 0.4, 5), ("ta", 0.6, 3)]
    ]
    assert [t.normalized for t in tasks] == pytest.approx([40.0, 25.0, 40.0])
    musr = next(b for b in V2.benchmarks if b.name == "musr")
    assert benchmark_score(musr, tasks).normalized == pytest.approx(35.0)


def _gpqa_tasks(raws: list[tuple[float, int]]) -> list[TaskScore]:
    return [
        TaskScore("gpqa", f"t{i}", "acc_norm", raw, None, 4, normalize(raw, 4), n)
        for i, (raw, n) in enumerate(raws)
    ]


def test_size_weighted_benchmark_takes_the_group_value_then_normalizes_once() -> None:
    gpqa = next(b for b in V2.benchmarks if b.name == "gpqa")
    assert gpqa.aggregation is Aggregation.SIZE_WEIGHTED
    # diamond 198, extended 546, main 448: one subset below chance, which the old rule zeroed.
    tasks = _gpqa_tasks([(0.20, 198), (0.30, 546), (0.27, 448)])
    score = benchmark_score(gpqa, tasks)
    raw = (0.20 * 198 + 0.30 * 546 + 0.27 * 448) / (198 + 546 + 448)
    assert score.raw == pytest.approx(raw, abs=1e-12)
    assert score.normalized == pytest.approx((raw - 0.25) / 0.75 * 100, abs=1e-9)
    per_subset_mean = sum(t.normalized for t in tasks) / 3
    assert abs(score.normalized - per_subset_mean) > 0.1  # the two rules really differ here


def test_size_weighted_benchmark_without_sample_counts_is_refused() -> None:
    gpqa = next(b for b in V2.benchmarks if b.name == "gpqa")
    with pytest.raises(ResultsFormatError, match="weighted by subtask size"):
        benchmark_score(gpqa, _gpqa_tasks([(0.3, 0), (0.4, 0)]))


def test_size_weighted_needs_one_baseline() -> None:
    with pytest.raises(ValueError, match="share one number of choices"):
        BenchmarkSpec("x", "X", ("acc",), {"a": 2, "b": 4}, aggregation=Aggregation.SIZE_WEIGHTED)


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


def test_a_filtered_metric_keeps_its_stderr() -> None:
    """`exact_match,strip` has its stderr under `exact_match_stderr,strip`, not `..._stderr,none`."""
    results = _results(0.5)
    for task in ("starter_bbh_multistep_arithmetic", "starter_bbh_dyck_languages"):
        results["results"][task]["exact_match_stderr,strip"] = 0.125  # type: ignore[index]
        results["results"][task]["exact_match_stderr,none"] = 0.5  # type: ignore[index]
    scores = {s.task: s for s in parse_task_scores(results, STARTER)}
    assert scores["starter_bbh_multistep_arithmetic"].stderr == 0.125
    assert scores["starter_bbh_dyck_languages"].metric == "exact_match,strip"


def test_missing_task_is_refused() -> None:
    results = _results(0.5)
    del results["results"][STARTER.task_names[0]]  # type: ignore[attr-defined]
    with pytest.raises(ResultsFormatError, match="no acc_norm,none"):
        parse_task_scores(results, STARTER)


def test_co2_follows_the_public_formula() -> None:
    assert co2_kg(3600, 5.6, 269.8) == pytest.approx(1.51088)
    assert co2_kg(1800, 0.3, 100.0) == pytest.approx(0.015)
