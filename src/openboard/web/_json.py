"""JSON in and out of the web layer: request bodies, refused before parsing when they nest deeper
than any openboard body (json.loads recurses per level: a thousand `[` is a RecursionError, not a
parse error); and the pages' JSON twins, encoded by orjson."""

import json
from typing import Any

import orjson
from fastapi.responses import JSONResponse

from openboard.domain import OpenboardError

__all__ = ["MAX_DEPTH", "BodyError", "JSONPage", "json_body"]


class JSONPage(JSONResponse):
    """A JSON twin as Starlette's JSONResponse writes it (compact, UTF-8, keys that are not
    strings written as strings), encoded by orjson: a 50-row board's twin took json.dumps
    ~1.3 ms, orjson ~0.2 ms, the same bytes (only floats under 1e-4 are spelled out in full,
    `0.00001` for `1e-05`: the same number)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


MAX_DEPTH = 32  # openboard's own bodies nest two levels


class BodyError(OpenboardError):
    parameter = "body"


def _depth(raw: str) -> int:
    deepest = depth = 0
    in_string = escaped = False
    for char in raw:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth -= 1
    return deepest


def json_body(raw: bytes) -> Any:
    """The parsed body; BodyError naming what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BodyError(f"the body is not UTF-8 JSON: {exc}", "send a JSON object") from exc
    if _depth(text) > MAX_DEPTH:
        raise BodyError(f"the body nests deeper than {MAX_DEPTH} levels", "send a flat JSON object")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BodyError(f"the body is not JSON: {exc}", "send a JSON object") from exc
