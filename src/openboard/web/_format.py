"""How numbers, counts and times read on the pages (Jinja filters; the JSON twins keep raw values)."""

from datetime import UTC, datetime
from typing import Any

from markupsafe import Markup, escape

__all__ = ["FILTERS", "bar", "count", "params", "when"]

# Irregular plurals the pages use; every other word takes an "s".
_PLURALS = {"query": "queries", "entry": "entries", "match": "matches"}
_UNITS = ((1e3, "T"), (1.0, "B"), (1e-3, "M"), (1e-6, "K"))  # scale in billions, unit


def count(n: int, word: str, at_least: bool = False) -> str:
    """`1 evaluation`, `2 evaluations`, `12,345 evaluations`; at least: `10,000+ evaluations`."""
    return f"{n:,}{'+' if at_least else ''} {word if n == 1 else _PLURALS.get(word, word + 's')}"


def params(billions: float | None) -> str:
    """A parameter count with its unit, as people say them: 135M, 7.2B, 70B, 1.2T."""
    if billions is None:
        return "–"
    scale, unit = 1e-9, ""
    for step, name in _UNITS:
        if billions >= step:
            scale, unit = step, name
            break
    value = billions / scale
    text = f"{value:.1f}" if value < 10 else f"{value:.0f}"
    return text.removesuffix(".0") + unit


def _parse(moment: str | datetime) -> datetime:
    if isinstance(moment, datetime):
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def when(moment: str | datetime | None) -> Markup:
    """A readable UTC time (`1 Dec 2026, 10:15`) whose exact ISO time shows on hover."""
    if moment is None or moment == "":
        return Markup("–")
    utc = _parse(moment).astimezone(UTC)
    exact = utc.strftime("%Y-%m-%dT%H:%M:%SZ")
    shown = escape(f"{utc.day} {utc:%b %Y, %H:%M}")
    # Not Markup.format: its formatter cost a board page with dates ~1 ms. `exact` is digits.
    return Markup(f'<time datetime="{exact}" title="{exact}">{shown}</time>')  # noqa: S704


def bar(score: float | None, raw: bool = False) -> str:
    """The style of a score cell's bar: its length in percent (raw scores run 0–1, normalized ones
    0–100). The number itself is always the cell's text."""
    if score is None:
        return ""
    percent = score * 100 if raw else score
    # min(100.0, max(0.0, percent)), NaN to 0 as there, without two calls: ~6 cells a board row
    percent = percent if percent > 0.0 else 0.0
    return f"--s:{percent if percent < 100.0 else 100.0:.1f}%"


FILTERS: dict[str, Any] = {"count": count, "params": params, "when": when, "bar": bar}
