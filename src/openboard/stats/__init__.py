"""Pure statistics over per-sample outcomes and log-likelihoods: no I/O, numpy and scipy only."""

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
