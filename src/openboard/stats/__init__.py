"""Pure statistics over per-sample outcomes and log-likelihoods: no I/O, numpy and scipy only.
Bootstrap intervals, their normal approximation, paired differences and rank ranges; the
contamination test's sharded exchangeability test."""

from openboard.stats._bootstrap import (
    CONFIDENCE,
    MIN_DOCUMENTS,
    RESAMPLES,
    SEED,
    BenchmarkOutcomes,
    StatisticsError,
    TaskOutcomes,
    bootstrap_intervals,
    estimates,
    normalize,
)
from openboard.stats._exchangeability import (
    METHOD,
    MIN_SHARD_SIZE,
    MIN_SHARDS,
    NotEnoughExamplesError,
    ShardedTest,
    ShardPlan,
    plan_shards,
    sharded_test,
)
from openboard.stats._normal import BenchmarkErrors, TaskError, normal_intervals
from openboard.stats._paired import NotPairedError, PairedDifference, paired_differences
from openboard.stats._ranks import RankRanges, rank_ranges

__all__ = [
    "CONFIDENCE",
    "METHOD",
    "MIN_DOCUMENTS",
    "MIN_SHARDS",
    "MIN_SHARD_SIZE",
    "RESAMPLES",
    "SEED",
    "BenchmarkErrors",
    "BenchmarkOutcomes",
    "NotEnoughExamplesError",
    "NotPairedError",
    "PairedDifference",
    "RankRanges",
    "ShardPlan",
    "ShardedTest",
    "StatisticsError",
    "TaskError",
    "TaskOutcomes",
    "bootstrap_intervals",
    "estimates",
    "normal_intervals",
    "normalize",
    "paired_differences",
    "plan_shards",
    "rank_ranges",
    "sharded_test",
]
