"""Confidence intervals, paired differences and rank ranges (pure statistics: no database, so
they run on the SQLite pass only)."""

import numpy as np
import pytest

from openboard.domain import AVERAGE, IntervalMethod
from openboard.evaluation import (
    V2,
    normalize,
    outcomes_from_samples,
    read_outcomes,
    score_suite,
    write_outcomes,
)
from openboard.stats import (
    MIN_DOCUMENTS,
    BenchmarkErrors,
    BenchmarkOutcomes,
    NotPairedError,
    TaskError,
    TaskOutcomes,
    bootstrap_intervals,
    estimates,
    normal_intervals,
    paired_differences,
    rank_ranges,
)
from openboard.stats import normalize as normalize_array
from openboard.stats._bootstrap import draw_indices, replicates, replicates_of

from .conftest import POSTGRES_SERVER
from .stats_helpers import exact_judge, v2_outputs

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs it"
)


def _task(name: str, values: list[float], choices: int | None = None) -> TaskOutcomes:
    column = np.asarray(values, np.float64)[:, None]
    return TaskOutcomes(name, choices, np.arange(len(values)), column, np.ones_like(column))


def _one(values: list[float], choices: int | None = None) -> list[BenchmarkOutcomes]:
    return [BenchmarkOutcomes("b", False, (_task("t", values, choices),))]


def test_the_95_interval_covers_the_true_accuracy_about_95_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    truth, covered = 0.6, 0
    for trial in range(400):
        outcomes = (rng.random(200) < truth).astype(float).tolist()
        interval = bootstrap_intervals(_one(outcomes), resamples=500, seed=trial)[0]
        assert interval.low is not None and interval.high is not None
        covered += interval.low <= truth * 100 <= interval.high
    assert 0.91 <= covered / 400 <= 0.98, covered


def test_an_interval_never_excludes_its_estimate_even_at_the_baseline_clamp() -> None:
    # 24 subtasks just below chance: every resample's clamped mean is >= the point (Jensen).
    rng = np.random.default_rng(3)
    tasks = tuple(
        _task(f"t{i}", (rng.random(40) < 0.47).astype(float).tolist(), 2) for i in range(24)
    )
    for interval in bootstrap_intervals([BenchmarkOutcomes("bbh", False, tasks)]):
        assert interval.low is not None and interval.high is not None
        assert interval.low <= interval.estimate <= interval.high


def test_a_limit_widens_the_interval_and_too_few_documents_give_none() -> None:
    rng = np.random.default_rng(1)
    full = bootstrap_intervals(_one((rng.random(1000) < 0.5).astype(float).tolist()))[0]
    limited = bootstrap_intervals(_one((rng.random(50) < 0.5).astype(float).tolist()))[0]
    assert full.high is not None and full.low is not None
    assert limited.high is not None and limited.low is not None
    assert limited.high - limited.low > 3 * (full.high - full.low)
    few = bootstrap_intervals(_one([1.0, 0.0] * 10))
    assert [i.low for i in few] == [None, None]
    assert few[0].reason == f"only 20 documents (an interval needs {MIN_DOCUMENTS})"
    assert few[1].benchmark == AVERAGE and "b had fewer than 30" in str(few[1].reason)


def test_the_vectorized_normalization_is_the_boards() -> None:
    raws = np.linspace(0, 1, 101)
    for choices in (None, 2, 4, 10, 19):
        assert normalize_array(raws, choices) == pytest.approx(
            [normalize(r, choices) for r in raws]
        )


def test_ifeval_resamples_prompts_with_their_instructions() -> None:
    # 40 prompts: the first 20 with 4 instructions all followed, the last 20 with 1 not followed.
    num = np.array([[1.0, 4.0]] * 20 + [[0.0, 0.0]] * 20)
    den = np.array([[1.0, 4.0]] * 20 + [[1.0, 1.0]] * 20)
    task = TaskOutcomes("ifeval", None, np.arange(40), num, den)
    point = estimates([BenchmarkOutcomes("ifeval", False, (task,))])["ifeval"]
    # lm-eval's instruction level is the flat mean over all 100 instructions: 80/100.
    assert point == pytest.approx((0.5 + 0.8) / 2 * 100)
    [interval, _] = bootstrap_intervals([BenchmarkOutcomes("ifeval", False, (task,))])
    assert interval.low is not None and interval.high is not None
    assert interval.low < point < interval.high


def test_counted_resamples_have_the_distribution_of_resampled_documents() -> None:
    # IFEval-like prompts: 1-4 instructions, each followed with probability 0.7.
    rng = np.random.default_rng(11)
    den_inst = rng.integers(1, 5, 300).astype(float)
    num_inst = rng.binomial(den_inst.astype(int), 0.7).astype(float)
    num = np.column_stack([(num_inst == den_inst).astype(float), num_inst])
    den = np.column_stack([np.ones(300), den_inst])
    benchmark = [BenchmarkOutcomes("ifeval", False, (TaskOutcomes("t", None, np.arange(300), num,
                                                                   den),))]  # fmt: skip
    counted = replicates(benchmark, resamples=4000, seed=5)["ifeval"]
    indices = next(draw_indices(np.random.default_rng(6), benchmark, 4000))
    drawn = replicates_of(benchmark, indices)["ifeval"]
    assert counted.mean() == pytest.approx(drawn.mean(), abs=0.15)
    assert counted.std() == pytest.approx(drawn.std(), rel=0.06)


def test_the_estimates_are_the_boards_scores_on_a_whole_v2_result() -> None:
    results, samples = v2_outputs(11, 40)
    scored = score_suite(results, V2, samples, exact_judge)
    outcomes = outcomes_from_samples(V2, samples, exact_judge)
    points = estimates(outcomes)
    for benchmark in scored.benchmark_scores:
        assert points[benchmark.benchmark] == pytest.approx(benchmark.normalized)
    assert points[AVERAGE] == pytest.approx(scored.average)
    intervals = bootstrap_intervals(outcomes)
    assert [i.benchmark for i in intervals] == [*(b.name for b in V2.benchmarks), AVERAGE]
    assert all(i.method is IntervalMethod.BOOTSTRAP and i.resamples == 1000 for i in intervals)
    assert bootstrap_intervals(outcomes) == intervals  # fixed seed


def test_outcomes_survive_their_file(tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    _, samples = v2_outputs(2, 31)
    outcomes = outcomes_from_samples(V2, samples, exact_judge)
    write_outcomes(tmp_path / "outcomes.npz", outcomes)
    again = read_outcomes(tmp_path / "outcomes.npz")
    assert again is not None
    assert bootstrap_intervals(again) == bootstrap_intervals(outcomes)
    assert read_outcomes(tmp_path / "absent.npz") is None


def test_identical_models_are_tied_and_a_dominant_one_is_not() -> None:
    rng = np.random.default_rng(5)
    values = (rng.random(300) < 0.5).astype(float)
    a = _one(values.tolist())
    [same, average] = paired_differences(a, _one(values.tolist()))
    assert (same.difference, same.low, same.high) == (0.0, 0.0, 0.0)
    assert same.p_value == 1.0 and not same.excludes_zero and average.difference == 0.0
    [better, _] = paired_differences(_one((1 - values).tolist()), _one(values.tolist()))
    # B is right exactly where A is wrong: a difference of (1 - 2·share) with a narrow interval.
    assert better.difference == pytest.approx(100 - 2 * values.mean() * 100)
    worse = paired_differences(_one(np.ones(300).tolist()), a)[0]
    assert worse.excludes_zero and worse.low > 0 and worse.a_leads == 1.0 and worse.p_value < 0.01


def test_the_paired_test_refuses_different_documents() -> None:
    a = _one([1.0, 0.0] * 20)
    limited = [BenchmarkOutcomes("b", False, (TaskOutcomes("t", None, np.arange(1, 41),
               np.ones((40, 1)), np.ones((40, 1))),))]  # fmt: skip
    with pytest.raises(NotPairedError, match="different documents"):
        paired_differences(a, limited)
    with pytest.raises(NotPairedError, match="different tasks"):
        paired_differences(a, [BenchmarkOutcomes("b", False, (_task("u", [1.0] * 40),))])


def test_rank_ranges_on_five_rows_worked_by_hand() -> None:
    # scores 80, 78, 70, 69, 50 with intervals:
    low = np.array([76.0, 75.0, 66.0, 64.0, 45.0])
    high = np.array([84.0, 81.0, 74.0, 73.0, 55.0])
    ranges = rank_ranges(low, high, low, high)
    # row 1: nobody wholly above; rows 3-5 wholly below it → 1-2. Row 2 likewise → 1-2.
    # rows 3 and 4 overlap each other only → 3-4; row 5 is below all → 5-5.
    assert ranges.best.tolist() == [1, 1, 3, 3, 5]
    assert ranges.worst.tolist() == [2, 2, 4, 4, 5]
    ascending = rank_ranges(low, high, low, high, descending=False)
    assert ascending.best.tolist() == [4, 4, 2, 2, 1]
    assert ascending.worst.tolist() == [5, 5, 3, 3, 1]


def test_the_normal_approximation_from_lm_eval_standard_errors() -> None:
    gpqa = BenchmarkErrors(
        "gpqa", 10.0, True, (TaskError(0.325, 0.02, 4, 100), TaskError(0.325, 0.04, 4, 100))
    )
    musr = BenchmarkErrors(
        "musr", 20.0, False, (TaskError(0.6, 0.03, 2, 50), TaskError(0.6, None, 2, 50))
    )
    [g, m, average] = normal_intervals([gpqa, musr])
    half = 1.959964 * np.sqrt((100 * 0.02) ** 2 + (100 * 0.04) ** 2) / 200 * 100 / 0.75
    assert g.method is IntervalMethod.NORMAL and g.low == pytest.approx(10.0 - half, abs=1e-4)
    assert g.high == pytest.approx(10.0 + half, abs=1e-4)
    assert m.low is None and m.reason == "lm-eval reported no standard error for a task of it"
    assert average.low is None and average.estimate == 15.0
