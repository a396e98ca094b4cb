"""The plots: score against size with its Pareto front, and the best score over time per model
type; and the compare view; their pages and JSON twins, over the leaderboard's filters."""

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import plotly
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse

from openboard.domain import ModelType
from openboard.store import BoardPoint, Store
from openboard.web._board import BadViewError, BoardView, board_parameters
from openboard.web._leaderboard import board_view
from openboard.web._pages import PageData, page_and_twin
from openboard.web._paired import paired_payload
from openboard.web._services import Services

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
MAX_SCATTER_POINTS = 5000  # the best ones; the front and the time lines use every point


def pareto_front(points: Sequence[BoardPoint]) -> list[BoardPoint]:
    """Points that no smaller-or-equal model beats: the best score for each size budget."""
    front: list[BoardPoint] = []
    for point in sorted(
        (p for p in points if p.params is not None), key=lambda p: (p.params, -p.average)
    ):
        if not front or point.average > front[-1].average:
            front.append(point)
    return front


def best_over_time(points: Sequence[BoardPoint]) -> dict[ModelType, list[BoardPoint]]:
    """For each model type, the evaluations that raised its best average, in time order."""
    records: dict[ModelType, list[BoardPoint]] = {}
    for point in sorted(points, key=lambda p: (p.submitted_time, p.request_id)):
        line = records.setdefault(point.model_type, [])
        if not line or point.average > line[-1].average:
            line.append(point)
    return records


def _point(p: BoardPoint) -> dict[str, Any]:
    return {
        "model": p.model, "type": p.model_type.value, "symbol": p.model_type.symbol,
        "params_b": p.params / 1e9 if p.params is not None else None, "average": p.average,
        "submitted": p.submitted_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
    }  # fmt: skip


def plots_payload(store: Store, view: BoardView) -> dict[str, Any]:
    points = store.board_points(view.query)
    best = sorted(points, key=lambda p: -p.average)[:MAX_SCATTER_POINTS]
    return {
        "schema_version": 1,
        "suite": view.suite.name,
        "total": len(points),
        "scatter": [_point(p) for p in best if p.params is not None],
        "scatter_truncated": len(points) > MAX_SCATTER_POINTS,
        "pareto_front": [_point(p) for p in pareto_front(points)],
        "best_over_time": {
            t.value: [_point(p) for p in line] for t, line in best_over_time(points).items()
        },
    }


MAX_COMPARED = 10


def compare_payload(store: Store, view: BoardView, models: tuple[str, ...]) -> dict[str, Any]:
    """Each model's best evaluation in the view's suite, benchmark by benchmark."""
    query = replace(
        view.query, offset=0, limit=1, average_over=None, sort="average", descending=True
    )
    result = store.board(query, pinned=models)
    best: dict[str, dict[str, Any]] = {}
    for request, row in result.pinned:  # best average first
        if request.model in best:
            continue
        best[request.model] = {
            "model": request.model, "request_id": request.id, "precision": request.precision.value,
            "average": row.average,
            "scores": {name: {"raw": s.raw, "normalized": s.normalized}
                       for name, s in row.scores.items()},
        }  # fmt: skip
    return {
        "schema_version": 1,
        "suite": view.suite.name,
        "benchmarks": [
            {"name": b.name, "display_name": b.display_name} for b in view.suite.benchmarks
        ],
        "models": [best[m] for m in models if m in best],
        "missing": [m for m in models if m not in best],
    }


def compared_models(request: Request) -> tuple[str, ...]:
    names = request.query_params.get("models", "").split(",")
    models = tuple(dict.fromkeys(m.strip() for m in names if m.strip()))
    if len(models) > MAX_COMPARED:
        raise BadViewError(f"{len(models)} models asked; compare at most {MAX_COMPARED} at once")
    return models


def plots_router(services: Services) -> APIRouter:
    router = APIRouter()
    store = services.store

    # The page draws from its JSON twin; the Pareto front is also a table for readers without JS.
    @page_and_twin(router, services, "/plots", "/api/plots", "plots.html", "plots",
                   openapi_extra=board_parameters())  # fmt: skip
    def plots(request: Request) -> PageData:
        view = board_view(services, request)
        return PageData(plots_payload(store, view), {"view": view})

    @page_and_twin(router, services, "/compare", "/api/compare", "compare.html", "compare")
    def compare(request: Request) -> PageData:
        view = board_view(services, request)
        payload = compare_payload(store, view, compared_models(request))
        if len(payload["models"]) >= 2:  # the first two, paired where their documents agree
            payload["paired"] = paired_payload(store, services.settings.artifacts, view.suite,
                                               *payload["models"][:2])  # fmt: skip
        return PageData(payload, {"models": request.query_params.get("models", "")})

    @router.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        # plotly's own bundle from its PyPI package: no CDN, and the version pip installed.
        return FileResponse(
            PLOTLY_JS, media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=604800"},
        )  # fmt: skip

    return router
