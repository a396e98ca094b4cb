"""The board page around its table: the filter form, the count line, the page links; made in
Python once per page, as the table is (web/_board_html.py).

In Jinja this part cost a distinct view about 0.8 ms of CPU (a loop per option list, an escape
and an attribute lookup per option): a quarter of what a page should cost. The options that no
request changes (model types, precisions, presets, origins, columns; a suite's benchmarks) are
made into text once, each split where its `checked` goes; a page joins them with the state its
URL asks for. What comes from the request (the search text, pins, the query in links) is escaped
with markupsafe's `escape`, the function Jinja's autoescaping calls, so the HTML is the same
byte for byte as the template made.
"""

from collections.abc import Mapping
from typing import Any

from markupsafe import Markup, escape

from openboard.domain import ModelType, Precision
from openboard.evaluation import Suite
from openboard.web._board import OPTIONAL_COLUMNS, SIZE_PRESETS, BoardView
from openboard.web._board_html import board_table
from openboard.web._format import count
from openboard.web._links import link

__all__ = ["board_main"]

# One option: the text before its `checked`, the text after.
Option = tuple[str, str]


def _option(kind: str, name: str, value: object, label: object) -> Option:
    return (f'<label><input type="{kind}" name="{name}" value="{escape(value)}" ',
            f"> {escape(label)}</label> ")  # fmt: skip


_TYPES = tuple(
    (t, _option("checkbox", "type", t.value, f"{t.symbol} {t.value}")) for t in ModelType
)
_PRECISIONS = tuple((p, _option("checkbox", "precision", p.value, p.value)) for p in Precision)
_SIZES = tuple(
    (name, _option("radio", "size", name, f"{name} ({low}–{high}B)"))
    for name, (low, high) in SIZE_PRESETS.items()
)
_ORIGINS = tuple(
    (value, _option("radio", "origin", value, title))
    for value, title in (("all", "all results"), ("local", "evaluated here"),
                         ("archive", "public archive"))
)  # fmt: skip
_COLUMNS = tuple(
    (name, _option("checkbox", "col", name, "#Params" if name == "params" else title))
    for name, title in OPTIONAL_COLUMNS.items()
)
_SHOW = """\
  <fieldset><legend>Show</legend>
    <label><input type="checkbox" name="hide" value="merged" {}> hide merged</label>
    <label><input type="checkbox" name="hide" value="moe" {}> hide MoE</label>
    <label title="commits the last availability check could not read from their source">\
<input type="checkbox" name="hide" value="unavailable" {}> hide unavailable</label>
    <label><input type="checkbox" name="official" value="1" {}> official providers only</label>
    <label><input type="checkbox" name="flagged" value="show" {}> show flagged</label>
  </fieldset>
"""
_SCORES = """\
  <fieldset><legend>Scores</legend>
    <label><input type="radio" name="scores" value="normalized" {}> normalized</label>
    <label><input type="radio" name="scores" value="raw" {}> raw</label>
    <label><input type="checkbox" name="average" value="shown" {}> average over shown benchmarks</label>
  </fieldset>
"""
_WHOLE_BOARD_EMPTY = """<p class="empty">No finished evaluation matches this search and these filters. Loosen them, or
<a href="/">show the whole board</a>.</p>
"""
_NOTHING_YET = """<p class="empty">No finished evaluation yet. Submit a model on the <a href="/submit">Submit</a> page
(or with <code>openboard submit org/name</code>), then run <code>openboard worker</code>; its progress
shows on the <a href="/queue">queue</a>.</p>
"""


def _benchmarks(suite: Suite) -> tuple[tuple[str, Option], ...]:
    return tuple((b.name, _option("checkbox", "show", b.name, b.display_name))
                 for b in suite.benchmarks)  # fmt: skip


def _checked(on: bool) -> str:
    return "checked" if on else ""


def _fieldset(legend: str, options: str) -> str:
    return f"  <fieldset><legend>{legend}</legend>\n    {options}\n  </fieldset>\n"


def _join(options: tuple[tuple[Any, Option], ...], on: Any) -> str:
    """The options, `checked` where `on` holds the option's key."""
    return "".join(f"{head}{'checked' if key in on else ''}{tail}"
                   for key, (head, tail) in options)  # fmt: skip


def _form(view: BoardView) -> str:
    q = view.query
    narrowing = (len(q.types) + len(q.precisions) + bool(view.size) + q.hide_merged + q.hide_moe
                 + q.hide_unavailable + q.official_only + (q.origin is not None))  # fmt: skip
    active = narrowing + (not q.hide_flagged) + q.raw + bool(q.average_over)
    badge = f' <span class="badge">{active} on</span>' if active else ""
    pins = "".join(f'<input type="hidden" name="pin" value="{escape(p)}">' for p in view.pinned)
    origin = q.origin.value if q.origin else "all"
    size = view.size
    return (
        '<form method="get" action="/" class="filters">\n'
        f'  <input type="hidden" name="suite" value="{escape(view.suite.name)}">\n'
        f"  {pins}\n"
        f'  <input type="hidden" name="prefer" value="{escape(q.prefer.value if q.prefer else "both")}">\n'
        '  <p class="search">\n'
        '    <label for="board-search">Search</label>\n'
        f'    <input id="board-search" type="search" name="q" value="{escape(view.text)}"\n'
        '      placeholder="llama; @architecture:Mistral @license:apache">\n'
        '    <button type="submit">Apply</button>\n'
        "  </p>\n"
        '  <details class="filter-panel" id="filter-panel" open>\n'
        f"    <summary>Filters and columns{badge}</summary>\n"
        '    <div class="filter-grid">\n'
        + _fieldset("Model types", _join(_TYPES, q.types))
        + _fieldset("Precision", _join(_PRECISIONS, q.precisions))
        + _fieldset("Size", f'<label><input type="radio" name="size" value="" '
                    f"{_checked(not size)}> any</label>\n    "
                    + _join(_SIZES, (size,)))
        + _SHOW.format(*map(_checked, (q.hide_merged, q.hide_moe, q.hide_unavailable,
                                       q.official_only, not q.hide_flagged)))
        + _fieldset("Origin", _join(_ORIGINS, (origin,)))
        + _SCORES.format(*map(_checked, (not q.raw, q.raw, bool(q.average_over))))
        + _fieldset("Benchmarks", _join(_benchmarks(view.suite), view.shown))
        + _fieldset("Columns", _join(_COLUMNS, view.columns))
        + "    </div>\n"
        "  </details>\n"
        f'  <input type="hidden" name="sort" value="{escape(q.sort)}">\n'
        f'  <input type="hidden" name="dir" value="{"desc" if q.descending else "asc"}">\n'
        "</form>\n"
    )  # fmt: skip


def _results(board: Mapping[str, Any], view: BoardView, query: str, alpha: float) -> str:
    page, pages = board["page"], board["pages"]
    here = escape(link(query))
    text = (
        '<div id="results" aria-live="polite">\n'
        f'<p class="count"><strong>{escape(count(board["total"], "evaluation", board["total_at_least"]))}</strong>'
        + (f" · page {page} of {pages}" if pages > 1 else "")
        + f'\n  · download <a href="/leaderboard.csv{here}">CSV</a> · '
        f'<a href="/leaderboard.parquet{here}">Parquet</a>\n'
        f'  · <a href="/api/leaderboard{here}">JSON</a></p>\n'
    )  # fmt: skip
    if board["rows"] or board["pinned"]:
        previous = (f'<a rel="prev" href="{escape(link(query, page=str(page - 1)))}">← previous</a>'
                    if page > 1 else "")  # fmt: skip
        following = (f'<a rel="next" href="{escape(link(query, page=str(page + 1)))}">next →</a>'
                     if page < pages else "")  # fmt: skip
        return (
            f"{text}\n"
            '<div class="table-wrap board-wrap" role="region" '
            'aria-label="Leaderboard, scrolls sideways" tabindex="0">\n'
            f"{board_table(board, view, query, alpha)}\n"
            "</div>\n"
            '<nav class="pages" aria-label="Pages">\n'
            f"  {previous}\n"
            f"  {f'<span>page {page} of {pages}</span>' if pages > 1 else ''}\n"
            f"  {following}\n"
            "</nav>\n"
        )  # fmt: skip
    q = view.query
    narrowing = (q.types or q.precisions or view.size or q.hide_merged or q.hide_moe
                 or q.hide_unavailable or q.official_only or q.origin is not None)  # fmt: skip
    return text + "\n" + (_WHOLE_BOARD_EMPTY if narrowing or view.text else _NOTHING_YET)


def board_main(board: Mapping[str, Any], view: BoardView, query: str, alpha: float) -> Markup:
    """The page's main part: its heading, the filter form, the count and downloads, the table
    (or why there is none) and the page links. `board` is the JSON twin's payload, `query` the
    page's URL query, `alpha` the contamination test's threshold."""
    html = (f"\n<h1>Leaderboard <small>{escape(board['suite'])}</small></h1>\n{_form(view)}\n"
            f'{_results(board, view, query, alpha)}\n</div>\n<script src="/static/board.js"></script>\n')  # fmt: skip
    return Markup(html)  # noqa: S704 - every request and data string in it went through escape()
