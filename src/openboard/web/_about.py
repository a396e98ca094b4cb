"""The about page's facts, computed from the code that applies them (suites, limits, normalization)
so that the page cannot drift from what openboard does."""

from collections.abc import Mapping
from statistics import fmean
from typing import Any

from fastapi import APIRouter

from openboard.domain import ModelType
from openboard.evaluation import Suite, normalize
from openboard.web._pages import PageData, page_and_twin
from openboard.web._services import Services

# (task, choices, raw): a worked example of one benchmark with two subtasks of different baselines.
_EXAMPLE = (("a yes/no subtask", 2, 0.60), ("a 3-choice subtask", 3, 0.30),
            ("a generative subtask", None, 0.15))  # fmt: skip


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
        },
    }


def about_router(services: Services) -> APIRouter:
    router = APIRouter()

    @page_and_twin(router, services, "/about", "/api/about", "about.html", "about")
    def about() -> PageData:
        return PageData(about_payload(services.suites, services.settings.default_suite))

    return router
