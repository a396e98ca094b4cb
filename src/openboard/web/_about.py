"""The about page's facts, computed from the code that applies them (suites, limits, normalization)
so that the page cannot drift from what openboard does."""

from collections.abc import Mapping
from statistics import fmean
from typing import Any

from fastapi import APIRouter

from openboard.domain import ModelType, TaskScore
from openboard.evaluation import Aggregation, BenchmarkSpec, Suite, benchmark_score, normalize
from openboard.stats import CONFIDENCE, MIN_DOCUMENTS, RESAMPLES, SEED
from openboard.web._pages import PageData, page_and_twin
from openboard.web._services import Services

# (task, choices, raw): a worked example of one benchmark with two subtasks of different baselines.
_EXAMPLE = (("a yes/no subtask", 2, 0.60), ("a 3-choice subtask", 3, 0.30),
            ("a generative subtask", None, 0.15))  # fmt: skip
# (subset, documents, raw): GPQA's three subsets at their real sizes, one of them below chance.
_WEIGHTED_EXAMPLE = (("diamond", 198, 0.22), ("extended", 546, 0.31), ("main", 448, 0.28))


def _weighted_example() -> dict[str, Any]:
    spec = BenchmarkSpec(
        "gpqa", "GPQA", ("acc_norm",), {name: 4 for name, _, _ in _WEIGHTED_EXAMPLE},
        aggregation=Aggregation.SIZE_WEIGHTED,
    )  # fmt: skip
    tasks = [
        TaskScore("gpqa", name, "acc_norm", raw, None, 4, normalize(raw, 4), n)
        for name, n, raw in _WEIGHTED_EXAMPLE
    ]
    score = benchmark_score(spec, tasks)
    return {
        "subsets": [{"task": t.task, "documents": t.samples, "raw": t.raw} for t in tasks],
        "baseline": 0.25,
        "raw": score.raw,
        "normalized": score.normalized,
        # What normalizing each subset and taking the plain mean would have given instead.
        "per_subset_mean": fmean(t.normalized for t in tasks),
    }


def about_payload(suites: Mapping[str, Suite], default_suite: str) -> dict[str, Any]:
    steps = [
        {"task": task, "choices": choices, "raw": raw,
         "baseline": 1 / choices if choices else 0.0, "normalized": normalize(raw, choices)}
        for task, choices, raw in _EXAMPLE
    ]  # fmt: skip
    return {
        "schema_version": 1,
        "default_suite": default_suite,
        "model_types": [
            {"name": t.value, "symbol": t.symbol, "description": t.description} for t in ModelType
        ],
        "suites": [
            {
                "name": suite.name,
                "version": suite.version,
                "benchmarks": [
                    {
                        "name": b.name,
                        "display_name": b.display_name,
                        "metrics": list(b.metrics),
                        "aggregation": b.aggregation.value,
                        "scorer": b.scorer.value,
                        "tasks": [{"task": t, "choices": n} for t, n in b.tasks.items()],
                    }
                    for b in suite.benchmarks
                ],
            }
            for suite in suites.values()
        ],
        "normalization": {
            "formula": "normalized = 0 if raw < 1/n else (raw - 1/n) / (1 - 1/n) x 100; "
            "1/n is 0 for generative tasks",
            "example": steps,
            "example_benchmark": fmean(normalize(raw, n) for _, n, raw in _EXAMPLE),
            "size_weighted_example": _weighted_example(),
        },
        "uncertainty": {
            "confidence": CONFIDENCE,
            "method": "bootstrap over documents (percentile)",
            "resamples": RESAMPLES,
            "seed": SEED,
            "min_documents": MIN_DOCUMENTS,
            "without_samples": "lm-eval's standard errors, normal approximation",
            "rank_range": "best = 1 + rows whose interval lies wholly above; worst = rows whose "
            "interval does not lie wholly below (itself included), within the view",
            "tied": "the row's interval overlaps the row above's",
        },
    }


def about_router(services: Services) -> APIRouter:
    router = APIRouter()

    @page_and_twin(router, services, "/about", "/api/about", "about.html", "about")
    def about() -> PageData:
        return PageData(about_payload(services.suites, services.settings.default_suite))

    return router
