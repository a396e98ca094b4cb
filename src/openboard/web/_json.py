"""Request bodies as JSON, refused before parsing when they nest deeper than any openboard body
(json.loads recurses per level: a thousand `[` is a RecursionError, not a parse error)."""

import json
from typing import Any

from openboard.domain import OpenboardError

__all__ = ["MAX_DEPTH", "BodyError", "json_body"]

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
