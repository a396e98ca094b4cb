"""Links that change one part of a view and keep the rest: the whole view state lives in the URL.

A board page makes one link per row (its pin) and per column header from the same query: the query
is parsed and its kept part encoded once per page (memoized), not once per link.
"""

import re
from collections.abc import Callable
from functools import lru_cache
from html import escape
from urllib.parse import parse_qsl, quote_plus, urlencode

__all__ = ["link", "toggle", "toggles"]

_PAGES = 256  # queries remembered: a page's links come from one, a burst of pages from a few


# quote_plus costs a few microseconds a call and a board page made ~100 of them (sort headers,
# pin links); their words (parameter names, columns) recur from page to page, and model ids
# (org/name, of letters, digits, "_.-") need only their "/" written as %2F: on a large board a
# page's ids are mostly ones the memo has not seen.
_remembered = lru_cache(maxsize=16 * _PAGES)(quote_plus)
_PLAIN = re.compile(r"[A-Za-z0-9_.~/-]*")  # what quote_plus leaves alone, and "/"


def _quote(text: str) -> str:
    """quote_plus(text)."""
    return text.replace("/", "%2F") if _PLAIN.fullmatch(text) else _remembered(text)


@lru_cache(maxsize=_PAGES)
def _pairs(query: str) -> tuple[tuple[str, str], ...]:
    return tuple(parse_qsl(query, keep_blank_values=False))


@lru_cache(maxsize=4 * _PAGES)
def _kept(query: str, changed: frozenset[str]) -> str:
    return urlencode([(k, v) for k, v in _pairs(query) if k not in changed])


def link(query: str, **changes: str | list[str] | None) -> str:
    """`?query` with each changed parameter replaced (a list: repeated; None: removed)."""
    added: list[tuple[str, str]] = []
    for key, value in changes.items():
        if isinstance(value, list):
            added += [(key, v) for v in value]
        elif value is not None:
            added.append((key, value))
    kept = _kept(query, frozenset(changes))
    tail = "&".join(f"{_quote(k)}={_quote(v)}" for k, v in added)  # as urlencode does
    return "?" + (f"{kept}&{tail}" if kept and tail else kept or tail)


def toggle(query: str, key: str, value: str) -> str:
    """Add `value` to a repeated parameter, or remove it if present (pinning a model)."""
    values = [v for k, v in _pairs(query) if k == key]
    values = [v for v in values if v != value] if value in values else [*values, value]
    return link(query, **{key: values})


def toggles(query: str, key: str, html: bool = False) -> Callable[[str], str]:
    """`toggle(query, key, value)` for many values (a board page's pin links, one a row): the
    kept part of the query and the values already there are encoded once, not once a link.
    `html`: each link escaped for an HTML attribute; the part they share is escaped once (the
    encoded value, letters, digits, `%` and `_.-~+`, has nothing to escape)."""
    present = [v for k, v in _pairs(query) if k == key]
    name = _quote(key)
    head = "&".join([_kept(query, frozenset({key})), *(f"{name}={_quote(v)}" for v in present)])
    head = head.removeprefix("&")
    start = f"?{head}&{name}=" if head else f"?{name}="
    if html:
        start = escape(start)

    def href(value: str) -> str:
        if value in present:  # removed: rare, a pinned row
            removed = toggle(query, key, value)
            return escape(removed) if html else removed
        return start + _quote(value)

    return href
