"""The confidence intervals of one full v2 evaluation: 1,000 bootstrap resamples over its ~21,000
per-document outcomes (the suite's real task sizes; IFEval with its instructions), against a
baseline of 100 resamples, side by side. Target: under 1 s on this machine.

Run: .venv/bin/python bench/confidence.py [--resamples 1000] [--repeat 3]
"""

import argparse
import time

import numpy as np

from openboard.evaluation import V2, Aggregation
from openboard.stats import BenchmarkOutcomes, TaskOutcomes, bootstrap_intervals

# Documents per task of the full v2 suite (the public data's sizes).
SIZES = {"ifeval": 541, "bbh": 240, "math": 189, "gpqa": 397, "musr": 252, "mmlu_pro": 12032}


def outcomes(seed: int) -> list[BenchmarkOutcomes]:
    rng = np.random.default_rng(seed)
    found = []
    for spec in V2.benchmarks:
        tasks = []
        for task, choices in spec.tasks.items():
            n = SIZES[spec.name]
            if spec.name == "ifeval":
                items = rng.integers(1, 4, n).astype(float)
                followed = rng.binomial(items.astype(int), 0.6).astype(float)
                num = np.stack([(followed == items).astype(float), followed], axis=1)
                den = np.stack([np.ones(n), items], axis=1)
            else:
                num = (rng.random((n, 1)) < 0.45).astype(float)
                den = np.ones((n, 1))
            tasks.append(TaskOutcomes(task, choices, np.arange(n), num, den))
        found.append(BenchmarkOutcomes(spec.name, spec.aggregation is Aggregation.SIZE_WEIGHTED,
                                       tuple(tasks)))  # fmt: skip
    return found


def timed(data: list[BenchmarkOutcomes], resamples: int, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        began = time.perf_counter()
        bootstrap_intervals(data, resamples=resamples)
        best = min(best, time.perf_counter() - began)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resamples", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = outcomes(0)
    documents = sum(b.documents for b in data)
    baseline = timed(data, 100, args.repeat)
    full = timed(data, args.resamples, args.repeat)
    print(f"{'resamples':>10} {'seconds':>9}")
    print(f"{100:>10} {baseline:>9.3f}")
    print(f"{args.resamples:>10} {full:>9.3f}  ({full / baseline:.1f}x the baseline)")
    print(f"documents: {documents}")
    print(f"resamples: {args.resamples}")
    print(f"intervals_seconds: {full:.3f}")
    print(f"under_1s: {full < 1.0}")


if __name__ == "__main__":
    main()
