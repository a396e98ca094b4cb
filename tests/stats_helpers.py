"""Synthetic lm-eval outputs of the v2 suite: a results file and its per-sample records that agree
(each task's metric is the mean of its samples), for the statistics' tests and bench/confidence.py."""

import random
from typing import Any

from openboard.evaluation import V2, Scorer

RIGHT, WRONG = "$\\boxed{1}$", "$\\boxed{2}$"


def v2_outputs(
    seed: int, documents: int | dict[str, int], skill: float = 0.5
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """(results, samples by task); `documents` per task (a number, or by task name)."""
    rng = random.Random(seed)
    results: dict[str, Any] = {"results": {}, "n-samples": {}}
    samples: dict[str, list[dict[str, Any]]] = {}
    for spec in V2.benchmarks:
        for task, choices in spec.tasks.items():
            n = documents if isinstance(documents, int) else documents[task]
            p = min(0.95, skill + (1 / choices if choices else 0.0) * 0.5 + rng.uniform(-0.1, 0.1))
            records: list[dict[str, Any]] = []
            metrics: dict[str, Any] = {}
            if spec.name == "ifeval":
                followed = total = prompts = 0
                for doc in range(n):
                    items = [rng.random() < p for _ in range(rng.randint(1, 4))]
                    records.append({"task": task, "doc_id": doc, "filter": "none",
                                    "prompt_level_strict_acc": all(items),
                                    "inst_level_strict_acc": items})  # fmt: skip
                    followed, total, prompts = (
                        followed + sum(items),
                        total + len(items),
                        prompts + all(items),
                    )
                metrics = {"prompt_level_strict_acc,none": prompts / n,
                           "prompt_level_strict_acc_stderr,none": 0.02,
                           "inst_level_strict_acc,none": followed / total,
                           "inst_level_strict_acc_stderr,none": "N/A"}  # fmt: skip
            elif spec.scorer is Scorer.MATH_VERIFY:
                right = 0
                for doc in range(n):
                    ok = rng.random() < p
                    right += ok
                    records.append({"task": task, "doc_id": doc, "filter": "none",
                                    "exact_match": int(ok), "filtered_resps": [RIGHT if ok else WRONG],
                                    "doc": {"solution": RIGHT}})  # fmt: skip
                metrics = {"exact_match,none": right / n, "exact_match_stderr,none": 0.01}
            else:
                (metric,) = spec.metrics
                right = 0
                for doc in range(n):
                    ok = rng.random() < p
                    right += ok
                    records.append(
                        {"task": task, "doc_id": doc, "filter": "none", metric: float(ok)}
                    )
                metrics = {f"{metric},none": right / n, f"{metric}_stderr,none": 0.03}
            results["results"][task] = metrics
            results["n-samples"][task] = {"original": n, "effective": n}
            samples[task] = records
    return results, samples


def exact_judge(pairs: Any) -> list[bool]:
    """A stand-in for Math-Verify on these synthetic answers (the real one is tested elsewhere)."""
    return [solution == generation for solution, generation in pairs]
