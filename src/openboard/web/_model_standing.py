"""Where a model's evaluations stand: each finished one's rank on its suite's default board (the
board with no parameters in the URL; `/?suite=...` for another suite) and that board's median
normalized score per benchmark, for the model page's summary and its chart.

The rank is read as the board reads its pages (`Store.board_standing`): the same filters and
order, so "rank 3 of 120" is the third row of that board."""

from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

from openboard.domain import Status
from openboard.evaluation import Suite
from openboard.store import EvalRequest, Store
from openboard.web._board import BoardView

__all__ = ["DefaultBoard", "standing_records"]

DefaultBoard = Callable[[str], BoardView]  # suite -> its default board's view


def _board_url(suite: str, default_suite: str, page: int = 1) -> str:
    params = {"suite": suite} if suite != default_suite else {}
    params |= {"page": str(page)} if page > 1 else {}
    return "/" + ("?" + urlencode(params) if params else "")


def standing_records(
    store: Store, suites: Mapping[str, Suite], default_suite: str, board: DefaultBoard,
    requests: list[EvalRequest],
) -> dict[int, dict[str, Any]]:  # fmt: skip
    """Request id -> {"board": ..., "rank": ...} for each request of a known suite."""
    records: dict[int, dict[str, Any]] = {}
    for suite in sorted({r.suite for r in requests if r.suite in suites}):
        view = board(suite)
        mine = [r for r in requests if r.suite == suite]
        finished = [r.id for r in mine if r.status is Status.FINISHED]
        standing = store.board_standing(view.query, finished)
        shown = {
            "url": _board_url(suite, default_suite),
            "name": "the default board" if suite == default_suite else f"the {suite} board",
            "evaluations": standing.total,
            "medians": {
                b.name: standing.medians[b.name]
                for b in suites[suite].benchmarks
                if b.name in standing.medians
            },
        }
        for request in mine:
            position = standing.ranks.get(request.id)
            rank = None if position is None else {
                "position": position,
                "of": standing.total,
                "page_url": _board_url(suite, default_suite, (position - 1) // view.per_page + 1),
            }  # fmt: skip
            records[request.id] = {"board": shown, "rank": rank}
    return records
