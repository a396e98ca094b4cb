"""The leaderboard's routes: the page and its JSON twin, and the CSV and Parquet exports."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from openboard.domain import ModelType, Precision
from openboard.web._board import (
    OPTIONAL_COLUMNS,
    SIZE_PRESETS,
    BoardView,
    all_rows,
    board_parameters,
    board_payload,
    official_namespaces,
    parse_view,
)
from openboard.web._exports import EXPORTS, contents_records
from openboard.web._pages import PageData, page_and_twin
from openboard.web._services import Services


def board_view(services: Services, request: Request) -> BoardView:
    """The view the URL asks for (a bad parameter raises BadViewError: 400)."""
    official = official_namespaces(services.store, services.settings.official)
    return parse_view(
        request.query_params, services.suites, services.settings.default_suite, official
    )


def leaderboard_router(services: Services) -> APIRouter:
    router = APIRouter()
    store = services.store

    @page_and_twin(router, services, "/", "/api/leaderboard", "leaderboard.html", "board",
                   shared=True, openapi_extra=board_parameters())  # fmt: skip
    def leaderboard(request: Request) -> PageData:
        view = board_view(services, request)
        return PageData(board_payload(store, view, view.query.official), {
            "view": view, "presets": SIZE_PRESETS, "optional_columns": OPTIONAL_COLUMNS,
            "model_types": list(ModelType), "precisions": list(Precision),
        })  # fmt: skip

    def export(request: Request, kind: str) -> Response:
        view = board_view(services, request)
        records = contents_records(all_rows(store, view, view.query.official), view.suite)
        write, media_type = EXPORTS[kind]
        name = f"leaderboard-{view.suite.name}.{kind}"
        return Response(write(records, view.suite), media_type=media_type,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    @router.get("/leaderboard.csv", openapi_extra=board_parameters())
    def leaderboard_csv(request: Request) -> Response:
        return export(request, "csv")

    @router.get("/leaderboard.parquet", openapi_extra=board_parameters())
    def leaderboard_parquet(request: Request) -> Response:
        return export(request, "parquet")

    return router
