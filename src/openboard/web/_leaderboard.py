"""The leaderboard's routes: the page and its JSON twin, and the CSV and Parquet exports; and the
whole board (every row of a view, no pages) that the exports and `openboard leaderboard` print."""

from collections.abc import Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.datastructures import QueryParams

from openboard.domain import InvalidSearchError, ModelType, Precision, parse_search
from openboard.evaluation import Suite
from openboard.store import Store
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
from openboard.web._contamination import ALPHA
from openboard.web._exports import EXPORTS, contents_records
from openboard.web._pages import PageData, page_and_twin
from openboard.web._services import Services


def view_of(
    store: Store, suites: Mapping[str, Suite], default_suite: str, official: frozenset[str],
    params: QueryParams, default_origin: str = "all", default_prefer: str = "local",
) -> BoardView:  # fmt: skip
    """The view the URL parameters ask for (a bad one raises BadViewError: 400); no parameters
    is the default view: the default suite, flagged models hidden, best average first."""
    return parse_view(params, suites, default_suite, official_namespaces(store, official),
                      default_origin, default_prefer)  # fmt: skip


def board_view(services: Services, request: Request) -> BoardView:
    settings = services.settings
    return view_of(services.store, services.suites, settings.default_suite, settings.official,
                   request.query_params, settings.default_origin,
                   settings.default_prefer)  # fmt: skip


@dataclass(frozen=True, slots=True)
class WholeBoard:
    """Every row a view lets through, in its order, without pages or pins."""

    view: BoardView
    rows: list[dict[str, Any]]

    @classmethod
    def read(cls, store: Store, view: BoardView, exported: bool = False) -> "WholeBoard":
        """`exported`: for CSV and Parquet, which always carry the rank ranges."""
        if exported:
            view = replace(view, query=replace(view.query, rank_ranges=True))
        return cls(view, all_rows(store, view, view.query.official))

    def payload(self) -> dict[str, Any]:
        """The board's JSON (as /api/leaderboard's) with every row on one page."""
        view = self.view
        return {
            "schema_version": 2,
            "suite": view.suite.name,
            "benchmarks": [{"name": b.name, "display_name": b.display_name}
                           for b in view.suite.benchmarks if b.name in view.shown],
            "total": len(self.rows),
            "rows": self.rows,
        }  # fmt: skip

    def export(self, kind: str) -> str | bytes:
        """The table in an export format (`csv`, `parquet`) under the public `contents` columns."""
        write, _ = EXPORTS[kind]
        return write(contents_records(self.rows, self.view.suite), self.view.suite)


_INLINE_GROUPS = 2  # plain-text search groups a page made on the event loop may have


def _inline(services: Services, request: Request) -> AbstractContextManager[None] | None:
    """Where an anonymous reader's board may be made on the event loop: at the version the
    check read (the page reads it no more), when the read model holds it and any search is
    bounded work (`_bounded_search`)."""
    store = services.store
    if not services.auth.anonymous(request) or not _bounded_search(request.query_params):
        return None  # before the version's read: the thread pool's page reads its own
    version = store.current_board_version()
    return None if version is None else store.reading_at(version)


def _bounded_search(params: QueryParams) -> bool:
    """Whether the view's search (if any) costs a bounded few milliseconds in the read model:
    plain text is looked up in the names' suffix array and a field's value in its small
    vocabulary. A regular expression runs over every name and may take to its deadline
    (seconds), which on the event loop would stall every request of the process. Measured at
    100,000 rows, two of three distinct views search, and their hop to the thread pool and
    back (and its GIL hand-offs) cost more than the search itself. At a million rows one group
    costs ~5-40 ms (a single letter the most), so a search of many `;` groups goes to the pool."""
    try:
        groups = parse_search(params.get("q", ""))
    except InvalidSearchError:
        return False  # the thread pool's page answers it with the error
    return len(groups) <= _INLINE_GROUPS and not any(g.name_is_regex for g in groups)


def leaderboard_router(services: Services) -> APIRouter:
    router = APIRouter()
    store = services.store

    # On the event loop only what is CPU-bound and short (`_inline`).
    @page_and_twin(router, services, "/", "/api/leaderboard", "leaderboard.html", "board",
                   shared=True, openapi_extra=board_parameters(),
                   inline=lambda request: _inline(services, request))  # fmt: skip
    def leaderboard(request: Request) -> PageData:
        view = board_view(services, request)
        return PageData(board_payload(store, view, view.query.official), {
            "view": view, "presets": SIZE_PRESETS, "optional_columns": OPTIONAL_COLUMNS,
            "model_types": list(ModelType), "precisions": list(Precision),
            "contamination_alpha": ALPHA,
        })  # fmt: skip

    def export(request: Request, kind: str) -> Response:
        board = WholeBoard.read(store, board_view(services, request), exported=True)
        name = f"leaderboard-{board.view.suite.name}.{kind}"
        return Response(board.export(kind), media_type=EXPORTS[kind][1],
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

    @router.get("/leaderboard.csv", openapi_extra=board_parameters())
    def leaderboard_csv(request: Request) -> Response:
        return export(request, "csv")

    @router.get("/leaderboard.parquet", openapi_extra=board_parameters())
    def leaderboard_parquet(request: Request) -> Response:
        return export(request, "parquet")

    return router
