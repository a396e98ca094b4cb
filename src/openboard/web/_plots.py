"""The plots' data: score against size with its Pareto front, and the best score over time per
model type; and the compare view. Pure functions over the store's points."""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from openboard.domain import ModelType
from openboard.store import BoardPoint, Store
from openboard.web._board import BoardView

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
