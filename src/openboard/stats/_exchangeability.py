"""The sharded exchangeability test of Oren et al., "Proving Test Set Contamination in Black Box
Language Models" (ICLR 2024), as pure statistics over log-likelihoods.

A model that never saw a benchmark finds every ordering of its examples equally likely: the
examples are exchangeable. The benchmark is cut into shards of consecutive examples; per shard,
the log-likelihood of the examples concatenated in their published (canonical) order is compared
with the mean over random permutations of the same examples. Under exchangeability each
difference has mean zero, whatever the model; a one-sided t-test across shards asks whether the
mean difference is positive, i.e. whether the canonical order is systematically preferred.

This module draws the permutations and computes the p-value; computing log-likelihoods is the
caller's business (the model I/O lives elsewhere).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import stats

METHOD = "oren2024-sharded-exchangeability"
MIN_SHARDS = 5  # fewer gives a t-test with under 4 degrees of freedom: no useful p-value
MIN_SHARD_SIZE = 3  # two examples have a single other order; the mean over permutations is moot

__all__ = [
    "METHOD",
    "MIN_SHARDS",
    "MIN_SHARD_SIZE",
    "NotEnoughExamplesError",
    "ShardPlan",
    "ShardedTest",
    "plan_shards",
    "sharded_test",
]


class NotEnoughExamplesError(ValueError):
    """Too few examples for the configured shards: there is no p-value to report."""


@dataclass(frozen=True, slots=True)
class ShardPlan:
    """Which examples each shard holds (consecutive, in canonical order) and the orders to score.

    `orders[s][k]` is a permutation of `range(len(shard s))`; every shard has the same number of
    permutations, drawn without regard to the data, so the plan is a function of the seed alone."""

    shards: tuple[tuple[int, int], ...]  # [start, end) indices into the examples
    orders: tuple[tuple[tuple[int, ...], ...], ...]
    seed: int

    @property
    def examples(self) -> int:
        return sum(end - start for start, end in self.shards)

    def first(self, count: int) -> "ShardPlan":
        """The plan's first `count` shards (a smaller probe with the same seed)."""
        return ShardPlan(self.shards[:count], self.orders[:count], self.seed)


def plan_shards(
    groups: Sequence[int], max_examples: int, shard_size: int, permutations: int, seed: int
) -> ShardPlan:
    """Shards of `shard_size` consecutive examples, at most `max_examples` examples in all, with
    `permutations` random orders per shard. `groups` are the sizes of the consecutive runs of
    examples that a shard must not straddle (a benchmark's subtasks: examples grouped by task
    share more with each other than with a shuffle's neighbours, which would favour the canonical
    order in any model). Shards are taken round-robin over the groups, from each group's start;
    a remainder shorter than a shard is left out."""
    if shard_size < MIN_SHARD_SIZE:
        raise ValueError(f"shard size {shard_size} is too small: use at least {MIN_SHARD_SIZE}")
    if permutations < 1:
        raise ValueError(f"permutations per shard is {permutations}: use at least 1")
    starts = [sum(groups[:i]) for i in range(len(groups))]
    shards: list[tuple[int, int]] = []
    for round_ in range(max(groups, default=0) // shard_size):
        for start, size in zip(starts, groups, strict=True):
            if (round_ + 1) * shard_size <= size and (len(shards) + 1) * shard_size <= max_examples:
                first = start + round_ * shard_size
                shards.append((first, first + shard_size))
    if len(shards) < MIN_SHARDS:
        raise NotEnoughExamplesError(
            f"not enough examples: {sum(groups)} (at most {max_examples} used) make "
            f"{len(shards)} shard(s) of {shard_size}, the test needs at least {MIN_SHARDS} "
            "(lower the shard size or raise the examples per benchmark)"
        )
    rng = np.random.default_rng(seed)
    orders = tuple(
        tuple(tuple(int(j) for j in rng.permutation(shard_size)) for _ in range(permutations))
        for _ in shards
    )
    return ShardPlan(shards=tuple(shards), orders=orders, seed=seed)


@dataclass(frozen=True, slots=True)
class ShardedTest:
    p_value: float  # one-sided: small when the canonical order is more likely than its shuffles
    statistic: float  # Student's t over the per-shard differences
    mean_difference: float  # nats: canonical log-likelihood minus the shuffles' mean, per shard
    differences: tuple[float, ...]
    shard_p_values: tuple[float, ...]  # per shard: share of orders at least as likely as canonical

    @property
    def shards(self) -> int:
        return len(self.differences)


def sharded_test(canonical: NDArray[np.float64], permuted: NDArray[np.float64]) -> ShardedTest:
    """`canonical[s]`: log-likelihood of shard s in canonical order; `permuted[s, k]`: of its k-th
    permutation. The p-value tests H0 (exchangeable: mean difference 0) against a positive mean."""
    canonical = np.asarray(canonical, dtype=np.float64)
    permuted = np.asarray(permuted, dtype=np.float64)
    if permuted.ndim != 2 or canonical.shape != (permuted.shape[0],) or permuted.shape[1] < 1:
        raise ValueError(
            f"log-likelihoods of shape {canonical.shape} (canonical) and {permuted.shape} "
            "(permutations) do not match: one canonical value per shard, and a row per shard"
        )
    if canonical.shape[0] < MIN_SHARDS:
        raise NotEnoughExamplesError(f"{canonical.shape[0]} shards; the test needs {MIN_SHARDS}")
    if not (np.isfinite(canonical).all() and np.isfinite(permuted).all()):
        raise ValueError("a log-likelihood is not finite (overflow in the model's output?)")
    differences = canonical - permuted.mean(axis=1)
    if np.ptp(differences) == 0.0:
        # Every shard scored the same, e.g. a model that ignores its context: no evidence either
        # way, and the t statistic is undefined (0/0).
        statistic, p_value = 0.0, 1.0 if differences[0] <= 0 else 0.0
    else:
        # Sample standard deviation (ddof=1), as Student's t wants; the reference implementation
        # divides by the population one, which makes its p-values slightly too small.
        result = stats.ttest_1samp(differences, 0.0, alternative="greater")
        statistic, p_value = float(result.statistic), float(result.pvalue)
    at_least = (permuted >= canonical[:, None]).sum(axis=1)
    shard_p = (1 + at_least) / (1 + permuted.shape[1])
    return ShardedTest(
        p_value=p_value,
        statistic=statistic,
        mean_difference=float(differences.mean()),
        differences=tuple(float(d) for d in differences),
        shard_p_values=tuple(float(p) for p in shard_p),
    )
