"""The leaderboard view: URL parameters → a typed query → rows for HTML, JSON, CSV and Parquet."""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

from starlette.datastructures import QueryParams

from openboard.domain import (
    InvalidModelIdError,
    InvalidSearchError,
    ModelId,
    ModelType,
    OpenboardError,
    Origin,
    Precision,
    parse_search,
)
from openboard.evaluation import Suite
from openboard.store import SORT_COLUMNS, BoardQuery, Flag, ShownRequest, Store
from openboard.store import BoardRow as StoredRow

# The public site's parameter presets, billions of parameters.
SIZE_PRESETS: dict[str, tuple[float, float]] = {
    "edge": (0, 3), "consumer": (3, 7), "mid-range": (7, 65), "gpu-rich": (65, 141),
}  # fmt: skip
OPTIONAL_COLUMNS: dict[str, str] = {
    "type": "Type", "architecture": "Architecture", "weight_type": "Weight type",
    "precision": "Precision", "merged": "Merged", "moe": "MoE", "license": "License",
    "params": "#Params (B)", "sha": "Model sha", "submitted": "Submission date",
    "chat_template": "Chat template", "official": "Official provider", "base_model": "Base model",
    "co2": "CO₂ cost (kg)", "flagged": "Flagged", "available": "Available",
    "backend": "Backend", "wall_seconds": "Wall time (s)", "tokens_per_s": "Tokens/s",
    "device_hours": "Device-hours", "gpu_hours": "GPU-hours",
    "ci": "95% CI", "rank_range": "Rank range", "contamination": "Contamination p (min)",
}  # fmt: skip
DEFAULT_COLUMNS = ("precision", "params")
HIDE_OPTIONS = ("merged", "moe", "unavailable")
ORIGINS = ("all", "local", "archive")  # local: evaluated here; archive: the public leaderboard's
# Which row stands for a model + commit evaluated here and in the archive (BoardQuery.prefer).
PREFERENCES = ("local", "archive", "both")
_ROW_KEYS = {
    "params": "params_b",
    "contamination": "contamination_p",
}  # a column whose row field is named for its unit
PAGE_SIZES = (25, 50, 100, 200)
MAX_PAGE = 1_000_000  # offsets stay far inside every database's integer range


def _param(name: str, schema: dict[str, Any], many: bool = False) -> dict[str, Any]:
    if many:
        schema = {"type": "array", "items": schema}
    return {"name": name, "in": "query", "required": False, "schema": schema,
            **({"style": "form", "explode": True} if many else {})}  # fmt: skip


def board_parameters() -> dict[str, Any]:
    """The view's URL parameters for the OpenAPI document (they are parsed by `parse_view`)."""
    return {"parameters": [
        _param("suite", {"type": "string"}), _param("q", {"type": "string"}),
        _param("type", {"type": "string", "enum": [t.value for t in ModelType]}, many=True),
        _param("precision", {"type": "string", "enum": [p.value for p in Precision]}, many=True),
        _param("size", {"type": "string", "enum": list(SIZE_PRESETS)}),
        _param("params_min", {"type": "number"}), _param("params_max", {"type": "number"}),
        _param("hide", {"type": "string", "enum": list(HIDE_OPTIONS)}, many=True),
        _param("flagged", {"type": "string", "enum": ["hide", "show"]}),
        _param("official", {"type": "string", "enum": ["1"]}),
        _param("origin", {"type": "string", "enum": list(ORIGINS)}),
        _param("prefer", {"type": "string", "enum": list(PREFERENCES)}),
        _param("sort", {"anyOf": [{"type": "string", "enum": list(SORT_COLUMNS)},
                                  {"type": "string", "description": "a benchmark of the suite"}]}),
        _param("dir", {"type": "string", "enum": ["asc", "desc"]}),
        _param("scores", {"type": "string", "enum": ["normalized", "raw"]}),
        _param("average", {"type": "string", "enum": ["shown"]}),
        _param("show", {"type": "string"}, many=True),
        _param("col", {"type": "string", "enum": list(OPTIONAL_COLUMNS)}, many=True),
        _param("pin", {"type": "string"}, many=True),
        _param("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        _param("per_page", {"type": "integer", "enum": list(PAGE_SIZES)}),
    ]}  # fmt: skip


class BadViewError(OpenboardError):
    pass


@dataclass(frozen=True, slots=True)
class BoardView:
    """Everything the URL says about a view: the database query and how to show its answer."""

    suite: Suite
    query: BoardQuery
    text: str
    page: int
    per_page: int
    shown: tuple[str, ...]  # visible benchmark columns
    columns: tuple[str, ...]  # visible optional columns
    pinned: tuple[str, ...]
    size: str


def _one_of(
    values: list[str], allowed: Mapping[str, Any] | tuple[str, ...], what: str
) -> list[str]:
    wrong = [v for v in values if v not in allowed]
    if wrong:
        raise BadViewError(
            f"unknown {what}: {', '.join(wrong)}", f"choose from {', '.join(allowed)}"
        )
    return values


def _number(params: QueryParams, name: str, default: float | None) -> float | None:
    value = params.get(name)
    if value in (None, ""):
        return default
    shown = value if len(value) <= 40 else value[:40] + "…"
    try:
        number = float(value)
    except ValueError as exc:
        raise BadViewError(f"{name}={shown!r} is not a number", f"give {name} as a number") from exc
    if not math.isfinite(number):  # nan, inf, 1e309 and 400-digit numbers
        raise BadViewError(f"{name}={shown!r} is not a finite number", f"give {name} as a number")
    return number


MAX_PINS = 50


def _pins(values: list[str]) -> tuple[str, ...]:
    """Pinned models are model ids (org/name); anything else names itself in a 400."""
    if len(values) > MAX_PINS:
        raise BadViewError(f"{len(values)} pinned models; at most {MAX_PINS}", "pin fewer models")
    for value in values:
        try:
            ModelId.parse(value)
        except InvalidModelIdError as exc:
            shown = value if len(value) <= 40 else value[:40] + "…"
            raise BadViewError(
                f"pin={shown!r} is not a model id", "pin models as org/name"
            ) from exc
    return tuple(values)


def parse_view(
    params: QueryParams, suites: Mapping[str, Suite], default_suite: str, official: frozenset[str],
    default_origin: str = "all", default_prefer: str = "local",
) -> BoardView:  # fmt: skip
    suite_name = params.get("suite") or default_suite
    if suite_name not in suites:
        raise BadViewError(f"unknown suite {suite_name!r}", f"choose from {', '.join(suites)}")
    suite = suites[suite_name]
    names = tuple(b.name for b in suite.benchmarks)
    try:
        search = tuple(parse_search(params.get("q", "")))
    except InvalidSearchError as exc:
        raise BadViewError(exc.message, exc.hint) from exc
    types = _one_of(params.getlist("type"), tuple(t.value for t in ModelType), "model type")
    precisions = _one_of(
        params.getlist("precision"), tuple(p.value for p in Precision), "precision"
    )
    hide = _one_of(params.getlist("hide"), HIDE_OPTIONS, "hide option")
    flagged = params.get("flagged", "hide")
    _one_of([flagged], ("hide", "show"), "flagged option")
    origin = params.get("origin") or default_origin
    _one_of([origin], ORIGINS, "origin")
    prefer = params.get("prefer") or default_prefer
    _one_of([prefer], PREFERENCES, "prefer option")
    size = params.get("size", "")
    low, high = SIZE_PRESETS.get(size, (None, None))
    if size and size not in SIZE_PRESETS:
        raise BadViewError(f"unknown size {size!r}", f"choose from {', '.join(SIZE_PRESETS)}")
    shown = tuple(_one_of(params.getlist("show"), names, "benchmark")) or names
    sort = params.get("sort", "average")
    _one_of([sort], (*SORT_COLUMNS, *names), "sort column")
    page = int(_number(params, "page", 1) or 0)
    per_page = int(_number(params, "per_page", 50) or 0)
    if not 1 <= page <= MAX_PAGE or per_page not in PAGE_SIZES:
        raise BadViewError(
            f"page must be 1 to {MAX_PAGE} and per_page one of " + ", ".join(map(str, PAGE_SIZES)),
            "fix the page or per_page parameter",
        )
    columns = tuple(_one_of(params.getlist("col"), OPTIONAL_COLUMNS, "column")) or DEFAULT_COLUMNS
    query = BoardQuery(
        suite=suite.name,
        benchmarks=names,
        search=search,
        types=frozenset(ModelType(t) for t in types),
        precisions=frozenset(Precision(p) for p in precisions),
        params_min_b=_number(params, "params_min", low),
        params_max_b=_number(params, "params_max", high),
        hide_merged="merged" in hide,
        hide_moe="moe" in hide,
        hide_unavailable="unavailable" in hide,
        hide_flagged=flagged == "hide",
        official_only=params.get("official") == "1",
        official=official,
        origin=None if origin == "all" else Origin(origin),
        prefer=None if prefer == "both" else Origin(prefer),
        sort=sort,
        descending=params.get("dir", "desc") != "asc",
        raw=params.get("scores") == "raw",
        average_over=shown if params.get("average") == "shown" and shown != names else None,
        rank_ranges="rank_range" in columns,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    return BoardView(
        suite=suite, query=query, text=params.get("q", ""), page=page, per_page=per_page,
        shown=shown, columns=columns, pinned=_pins(params.getlist("pin")), size=size,
    )  # fmt: skip


RowMaker = Callable[[ShownRequest, StoredRow, int | None], dict[str, Any]]
# A type's symbol without its property's call: a page asks for one a row.
_SYMBOLS = {t: t.symbol for t in ModelType}


def _rows(view: BoardView, official: frozenset[str], flags: Mapping[str, Flag],
          tested: Mapping[int, tuple[str, float]]) -> RowMaker:  # fmt: skip
    """What makes the JSON twin's rows of one page (`row(request, stored, rank)`). At a million
    rows a distinct view costs more Python per row than the read model spends finding the page,
    so what every row of the page shares (the score kind, the folded official namespaces, the
    pins) is looked up here once, and a row is one dict built in one expression. An enum's
    `_value_` is its `.value` without the descriptor's Python-level call."""
    raw = view.query.raw
    folded = _folded(official)
    pinned = view.pinned

    def row(request: ShownRequest, stored: StoredRow, rank: int | None) -> dict[str, Any]:
        flag = flags.get(request.model)
        smallest = tested.get(request.id)
        params = request.params
        marks = stored.marks
        interval = marks.interval if marks else None
        ranks = marks.ranks if marks else None
        return {
            "rank": rank,
            "request_id": request.id,
            "model": request.model,
            "type": request.model_type._value_,
            "type_symbol": _SYMBOLS[request.model_type],
            "average": stored.average,
            "scores": {
                name: {
                    "normalized": s.normalized,
                    "raw": s.raw,
                    "shown": s.raw if raw else s.normalized,
                }
                for name, s in stored.scores.items()
            },
            "architecture": ",".join(request.architectures),
            "weight_type": request.weight_type._value_,
            "precision": request.precision._value_,
            "merged": request.merged,
            "moe": request.moe,
            "license": request.license,
            "params_b": round(params / 1e9, 6) if params is not None else None,
            "sha": request.revision,
            "submitted": _utc_seconds(request.submitted_time),
            "chat_template": request.use_chat_template,
            "official": request.model.partition("/")[0].lower() in folded,  # its namespace
            "base_model": request.base_model,
            "co2": request.co2_kg,
            # What the evaluation cost; None where it was not measured (imported, older results).
            "backend": request.eval_backend,
            "wall_seconds": request.eval_seconds,
            "tokens": request.eval_tokens,
            "tokens_per_s": request.tokens_per_second,
            "device_hours": request.device_hours,
            "gpu_hours": request.gpu_hours,
            # The contamination test's smallest p-value across benchmarks, and that benchmark;
            # None: not tested. Evidence for a moderator, never a flag by itself.
            "contamination_p": smallest[1] if smallest else None,
            "contamination_benchmark": smallest[0] if smallest else None,
            "pinned": request.model in pinned,
            "flagged": flag.reason if flag else None,
            "flag_link": flag.link if flag else None,
            # None: never checked; False: its commit could not be read at the last check.
            "available": request.available,
            "unavailable_reason": request.unavailable_reason,
            # Not comparable with full runs: a sample limit per task, or data that differs from
            # the published checksums.
            "eval_limit": request.eval_limit,
            "data_modified": request.data_modified,
            "origin": request.origin._value_,  # local, or archive: the public leaderboard's
            # The 95% confidence interval of the score the view ranks by, the rank range (when
            # asked for) and whether the row is statistically tied with the row above (the
            # about page's rule).
            "ci": list(interval) if interval else None,
            "rank_range": list(ranks) if ranks else None,
            "tied": bool(marks and marks.tied),
        }

    return row


def _utc_seconds(moment: datetime) -> str:
    """`moment.strftime("%Y-%m-%dT%H:%M:%SZ")` at half its cost: for a four-digit year,
    isoformat's first 19 characters are the same digits (the wall time, seconds truncated; an
    offset follows them)."""
    return moment.isoformat(timespec="seconds")[:19] + "Z"


@lru_cache(maxsize=8)
def _folded(official: frozenset[str]) -> frozenset[str]:
    """The official namespaces, lower-cased once per set, not once a row."""
    return frozenset(o.lower() for o in official)


def official_namespaces(store: Store, configured: frozenset[str]) -> frozenset[str]:
    """The settings' official providers and those moderators added."""
    return configured | store.official_namespaces()


def board_payload(store: Store, view: BoardView, official: frozenset[str]) -> dict[str, Any]:
    result = store.board(view.query, view.pinned)
    row = _rows(view, official, result.flags, result.p_values)
    start = view.query.offset
    return {
        "schema_version": 2,
        "suite": view.suite.name,
        "benchmarks": [
            {"name": b.name, "display_name": b.display_name}
            for b in view.suite.benchmarks
            if b.name in view.shown
        ],
        "columns": [
            {
                "name": c,
                "title": OPTIONAL_COLUMNS[c],
                "key": _ROW_KEYS.get(c, c),
                "sortable": c in SORT_COLUMNS,
            }
            for c in view.columns
        ],
        "total": result.total,
        "total_at_least": result.total_at_least,  # a search counts up to 10,000
        "page": view.page,
        "pages": max(1, -(-result.total // view.per_page)),
        "per_page": view.per_page,
        "pinned": [row(r, s, None) for r, s in result.pinned],
        "rows": [row(r, s, start + n) for n, (r, s) in enumerate(result.rows, start=1)],
    }


def all_rows(store: Store, view: BoardView, official: frozenset[str]) -> list[dict[str, Any]]:
    """Every row the view's filters let through, in its order (for CSV and Parquet exports)."""
    rows: list[dict[str, Any]] = []
    offset = 0
    while True:
        page_view = replace(view, query=replace(view.query, offset=offset, limit=1000), pinned=())
        result = store.board(page_view.query)
        row = _rows(page_view, official, result.flags, result.p_values)
        rows += [row(r, s, offset + n) for n, (r, s) in enumerate(result.rows, start=1)]
        offset += 1000
        if len(result.rows) < 1000:  # not the total: a search's count stops at 10,000
            return rows
