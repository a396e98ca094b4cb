"""The sharded exchangeability test's statistics alone: calibrated under exchangeability, and
powerful when the canonical order is preferred."""

import itertools

import numpy as np
import pytest
from scipy import stats

from openboard.stats import NotEnoughExamplesError, plan_shards, sharded_test

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


def _order_model(rng: np.random.Generator, n: int, bonus: float) -> np.ndarray:
    """A stand-in model whose log-likelihood of an order is a sum over adjacent pairs: random
    pair scores (context matters, as in a real model), plus `bonus` for each pair adjacent in the
    canonical order (0: the model never saw that order)."""
    pairs = rng.normal(0.0, 1.0, size=(n, n))
    pairs[np.arange(n - 1), np.arange(1, n)] += bonus
    return pairs


def _scores(pairs: np.ndarray, plan_seed: int, n: int) -> tuple[np.ndarray, np.ndarray]:
    plan = plan_shards([n], n, shard_size=5, permutations=8, seed=plan_seed)

    def loglik(indices: list[int]) -> float:
        return float(sum(pairs[a, b] for a, b in itertools.pairwise(indices)))

    canonical = np.array([loglik(list(range(s, e))) for s, e in plan.shards])
    permuted = np.array(
        [[loglik([s + j for j in order]) for order in orders]
         for (s, _), orders in zip(plan.shards, plan.orders, strict=True)]
    )  # fmt: skip
    return canonical, permuted


def test_p_values_are_uniform_under_exchangeability() -> None:
    """The false-positive rate is the nominal one: 400 benchmarks no model saw (independent seeds
    of the model and of the permutations) give p-values a KS test cannot tell from uniform."""
    p_values = []
    for seed in range(400):
        rng = np.random.default_rng(seed)
        canonical, permuted = _scores(_order_model(rng, 50, bonus=0.0), seed, 50)
        p_values.append(sharded_test(canonical, permuted).p_value)
    p = np.array(p_values)
    assert stats.kstest(p, "uniform").pvalue > 0.001
    assert 0.01 <= (p < 0.05).mean() <= 0.10
    assert (p < 0.01).mean() <= 0.03


def test_a_preferred_canonical_order_gives_a_small_p_value() -> None:
    rng = np.random.default_rng(7)
    canonical, permuted = _scores(_order_model(rng, 50, bonus=3.0), 7, 50)
    result = sharded_test(canonical, permuted)
    assert result.p_value < 0.001
    assert result.mean_difference > 0 and result.statistic > 0
    assert result.shards == 10 and all(0 < p <= 1 for p in result.shard_p_values)


def test_a_disfavoured_canonical_order_is_no_evidence() -> None:
    """One-sided: a model that dislikes the canonical order gives a large p-value."""
    rng = np.random.default_rng(3)
    canonical, permuted = _scores(_order_model(rng, 50, bonus=-3.0), 3, 50)
    assert sharded_test(canonical, permuted).p_value > 0.99


def test_the_plan_is_a_function_of_the_seed() -> None:
    a = plan_shards([23], 100, shard_size=4, permutations=3, seed=5)
    assert a == plan_shards([23], 100, shard_size=4, permutations=3, seed=5)
    assert a != plan_shards([23], 100, shard_size=4, permutations=3, seed=6)
    assert a.shards == ((0, 4), (4, 8), (8, 12), (12, 16), (16, 20))  # the remainder is left out
    assert all(sorted(o) == [0, 1, 2, 3] for orders in a.orders for o in orders)
    assert plan_shards([1000], 30, shard_size=5, permutations=1, seed=0).examples == 30
    assert a.first(2).shards == a.shards[:2] and a.first(2).orders == a.orders[:2]


def test_shards_never_straddle_a_subtask() -> None:
    """Round-robin over the subtasks, each shard inside one of them."""
    plan = plan_shards([7, 3, 12], 100, shard_size=3, permutations=2, seed=0)
    assert plan.shards == ((0, 3), (7, 10), (10, 13), (3, 6), (13, 16), (16, 19), (19, 22))
    assert (
        plan_shards([7, 3, 12], 15, shard_size=3, permutations=2, seed=0).shards == plan.shards[:5]
    )


def test_too_few_examples_is_reported_not_tested() -> None:
    with pytest.raises(NotEnoughExamplesError, match=r"not enough examples: 12 .* make 2 shard"):
        plan_shards([12], 100, shard_size=5, permutations=4, seed=0)
    with pytest.raises(ValueError, match="shard size 2 is too small"):
        plan_shards([100], 100, shard_size=2, permutations=4, seed=0)
    with pytest.raises(ValueError, match="do not match"):
        sharded_test(np.zeros(6), np.zeros((5, 3)))


def test_a_model_blind_to_order_is_no_evidence() -> None:
    """Every order equally likely (e.g. a unigram model): differences are all zero, p = 1."""
    assert sharded_test(np.full(6, -10.0), np.full((6, 4), -10.0)).p_value == 1.0
