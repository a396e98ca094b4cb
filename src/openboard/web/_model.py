"""The model page: every evaluation of a model, its scores, its reproducibility record and samples."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.datastructures import QueryParams

from openboard.domain import InvalidModelIdError, ModelId, OpenboardError
from openboard.evaluation import (
    HIDDEN_TEXT_TASKS,
    SAMPLES_FILE,
    Suite,
    interval_record,
    read_samples,
    text_hidden,
)
from openboard.store import EvalRequest, Store
from openboard.web._archive import archive_record, twin_record
from openboard.web._board import MAX_PAGE, BoardView
from openboard.web._contamination import LIMITS, contamination_records
from openboard.web._ids import MAX_ID, RowId
from openboard.web._leaderboard import view_of
from openboard.web._model_runs import previous_run_names, previous_runs, run_folder
from openboard.web._model_standing import DefaultBoard, standing_records
from openboard.web._pages import PageData, page_and_twin
from openboard.web._services import Services
from openboard.web._views import history_records, request_record

SAMPLES_PER_PAGE = 20


class NotFoundError(OpenboardError):
    pass


def parse_model_id(org: str, name: str) -> ModelId:
    try:
        return ModelId.parse(f"{org}/{name}")
    except InvalidModelIdError as exc:
        raise NotFoundError(str(exc), "check the model id: org/name") from exc


def _reproducibility(folder: Path) -> dict[str, Any] | None:
    path = folder / "reproducibility.json"
    if not path.is_file():
        return None
    record: dict[str, Any] = json.loads(path.read_text())
    return record


def _display_names(suites: Mapping[str, Suite], suite: str) -> dict[str, str]:
    known = suites.get(suite)
    return {b.name: b.display_name for b in known.benchmarks} if known else {}


def _evaluation(
    store: Store, suites: Mapping[str, Suite], artifacts: Path | None, request: EvalRequest,
    hidden_tasks: tuple[str, ...], prefer: str = "local",
) -> dict[str, Any]:  # fmt: skip
    # Without an artifacts folder (a read-only mirror of the database) scores are all there is.
    folder = artifacts / str(request.id) if artifacts is not None else None
    names = _display_names(suites, request.suite)
    logged = folder is not None and (folder / SAMPLES_FILE).is_file()
    return {
        **request_record(request),
        "history": history_records(store.events_for(request.id)),
        "suite": request.suite,
        "average": request.average,
        "co2_kg": request.co2_kg,
        "eval_seconds": request.eval_seconds,
        "failure_reason": request.failure_reason,
        # As of the last `openboard availability`; None: never checked.
        "available": request.available,
        "unavailable_reason": request.unavailable_reason,
        "eval_limit": request.eval_limit,
        "data_modified": request.data_modified,
        "availability_checked_at": (
            request.availability_checked_at.isoformat() if request.availability_checked_at else None
        ),
        "benchmarks": [
            {
                "name": b.benchmark,
                "display_name": names.get(b.benchmark, b.benchmark),
                "raw": b.raw,
                "normalized": b.normalized,
            }
            for b in store.scores_by_benchmark(request.id)
        ],
        "tasks": [
            {
                "benchmark": t.benchmark,
                "task": t.task,
                "metric": t.metric,
                "raw": t.raw,
                # Secondary metrics kept beside the headline one (MATH: lm-eval's exact_match).
                "extra": dict(t.extra),
                "stderr": t.stderr,
                "normalized": t.normalized,
                "samples": t.samples,
                "samples_logged": logged,
                "text_hidden": text_hidden(t.task, hidden_tasks),
            }
            for t in store.task_scores(request.id)
        ],
        "reproducibility": _reproducibility(folder) if folder is not None else None,
        "archive": archive_record(store, request),
        "twin": twin_record(store, request, prefer),  # the same commit evaluated here / archived
        "previous": previous_runs(store, folder, request, names),
        "contamination": contamination_records(store, request.id),
        "intervals": {i.benchmark: interval_record(i) for i in store.intervals.of(request.id)},
    }


def model_payload(
    store: Store, suites: Mapping[str, Suite], artifacts: Path | None, org: str, name: str,
    hidden_tasks: tuple[str, ...] = HIDDEN_TEXT_TASKS, prefer: str = "local",
    boards: tuple[str, DefaultBoard] | None = None,
) -> dict[str, Any]:  # fmt: skip
    """`boards`: the default suite and its default board's view by suite, for the ranks."""
    model_id = parse_model_id(org, name)
    requests = store.list_requests(model=str(model_id))
    if not requests:
        raise NotFoundError(f"no evaluation of {model_id}", "submit it at /submit")
    cards = (store.model_card(r.id) for r in reversed(requests))
    standing = standing_records(store, suites, *boards, requests) if boards else {}
    nowhere = {"board": None, "rank": None}
    return {
        "schema_version": 1,
        "model": str(model_id),
        "model_card": next((c for c in cards if c), None),  # the latest submission's
        "evaluations": [
            _evaluation(store, suites, artifacts, r, hidden_tasks, prefer)
            | standing.get(r.id, nowhere)
            for r in requests
        ],
        "contamination_limits": LIMITS,
    }


def samples_payload(
    store: Store, artifacts: Path | None, org: str, name: str, request_id: int, task: str | None,
    wrong_only: bool, page: int, hidden_tasks: tuple[str, ...] = HIDDEN_TEXT_TASKS,
    run: str | None = None, doc_id: int | None = None,
) -> dict[str, Any]:  # fmt: skip
    model_id = parse_model_id(org, name)
    request = store.get_request(request_id)
    if request is None or request.model != str(model_id):
        raise NotFoundError(
            f"{model_id} has no evaluation #{request_id}", f"see /models/{model_id}"
        )
    if artifacts is None:
        raise NotFoundError(
            "this server has no artifacts folder", "serve openboard with its data folder"
        )
    folder = run_folder(artifacts / str(request.id), run)
    if folder is None:
        known = ", ".join(previous_run_names(artifacts / str(request.id))) or "none"
        raise NotFoundError(f"evaluation #{request.id} has no earlier run {run!r}",
                            f"its earlier runs: {known}")  # fmt: skip
    result = read_samples(
        folder, task, wrong_only,
        (page - 1) * SAMPLES_PER_PAGE, SAMPLES_PER_PAGE, hidden_tasks, doc_id,
    )  # fmt: skip
    return {
        "schema_version": 1,
        "model": str(model_id),
        "request_id": request.id,
        "run": run,  # None: the current run; otherwise an earlier run of a re-run request
        "runs": previous_run_names(artifacts / str(request.id)),
        "tasks": sorted({t.task for t in store.task_scores(request.id)}),
        "task": task,
        "doc": doc_id,
        "wrong_only": wrong_only,
        "page": page,
        "has_more": result.has_more,
        "samples": [
            {
                "task": s.task,
                "doc_id": s.doc_id,
                "prompt": s.prompt,
                "output": s.output,
                "target": s.target,
                "choices": list(s.choices) if s.choices else None,
                "metric": s.metric,
                "value": s.value,
                "correct": s.correct,
                "hidden": s.hidden,
            }
            for s in result.samples
        ],
    }


def models_router(services: Services) -> APIRouter:
    router = APIRouter()
    store, suites, settings = services.store, services.suites, services.settings
    hidden = settings.hidden_sample_tasks

    # A model page changes with its requests' events and moderators' actions only (no progress):
    # anonymous readers share it like the board.
    def default_board(suite: str) -> BoardView:
        shown = QueryParams({} if suite == settings.default_suite else {"suite": suite})
        return view_of(store, suites, settings.default_suite, settings.official, shown,
                       settings.default_origin, settings.default_prefer)  # fmt: skip

    @page_and_twin(router, services, "/models/{org}/{name}", "/api/models/{org}/{name}",
                   "model.html", "model", shared=True)  # fmt: skip
    def model(org: str, name: str) -> PageData:
        boards = (settings.default_suite, default_board)
        return PageData(model_payload(store, suites, settings.artifacts, org, name, hidden,
                                      settings.default_prefer, boards))  # fmt: skip

    @page_and_twin(router, services, "/models/{org}/{name}/samples/{request_id}",
                   "/api/models/{org}/{name}/samples/{request_id}", "samples.html", "samples")  # fmt: skip
    def samples(
        org: str, name: str, request_id: RowId,
        task: str | None = None, wrong: bool = False,
        page_number: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
        run: Annotated[str | None, Query(max_length=40, description="an earlier run (attempt-N) of a re-run request")] = None,
        doc: Annotated[int | None, Query(ge=0, le=MAX_ID, description="one document only")] = None,
    ) -> PageData:  # fmt: skip
        return PageData(samples_payload(store, settings.artifacts, org, name, request_id,
                                        task or None, wrong, page_number, hidden, run or None,
                                        doc))  # fmt: skip

    return router
