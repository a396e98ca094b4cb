"""The board's table as HTML, made once per page from the JSON twin's rows.

A Jinja macro call per cell cost a 50-row page about 15 ms of CPU (the call machinery, not the
text): more than half of a distinct view's time. Here each row is one pass of string formatting.
Every string that comes from the data (names, licenses, flag reasons, links) is escaped (`_text`),
as Jinja's autoescaping would; the fixed text is trusted markup.

On a large board most of a distinct view's Python is spent here and in the JSON rows, per row: so
what a page's rows share (the score format, the escaped part of the pin links) is made once a page,
and the values that recur from row to row (types, precisions, licenses) are escaped once a process.
"""

import re
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import lru_cache
from html import escape
from typing import Any

from markupsafe import Markup

from openboard.web._board import BoardView
from openboard.web._format import bar, params, when
from openboard.web._links import link, toggles

__all__ = ["board_table"]

Row = Mapping[str, Any]
Cell = Callable[[Any, Row], str]

_TEXT_COLUMNS = frozenset({"precision", "type", "submitted"})  # sortable, not numbers
# A flag's "why" link is a link only when it is a web address (the moderation form accepts no
# other): a `javascript:` or `data:` value from anywhere else never becomes an href.
_WEB_ADDRESS = re.compile(r"https?://", re.IGNORECASE)
_TIE = (' <span class="tie" title="statistically tied with the row above: their 95% confidence '
        'intervals overlap">≈<span class="sr-only"> tied with the row above</span></span>')  # fmt: skip
_ARCHIVE = (' <span class="badge archive" title="from the public Open LLM Leaderboard archive, '
            'scored by openboard">archive</span>')  # fmt: skip
_MODIFIED = (' <span class="badge run-mark" title="its benchmark data differs from the published '
             'checksums; see its reproducibility record">modified data</span>')  # fmt: skip
_NONE = '<td class="num">–</td>'


def _text(value: object) -> str:
    """`value` escaped for HTML text and attribute values. The standard library's escape, not
    markupsafe's: that one makes a Markup object per call, three times the cost, and a page
    escapes ~500 values."""
    return escape(value if type(value) is str else str(value))


# Values that recur from row to row and page to page (a model type and its symbol, a precision,
# a license, an architecture): escaped once, then looked up. Not the unique ones (ids, commits).
_recurring = lru_cache(maxsize=4096, typed=True)(_text)  # typed: True is not 1


def _num(text: str) -> str:
    return f'<td class="num">{text}</td>'


def _formatted(pattern: str) -> Cell:
    return lambda v, row: _num(pattern.format(v)) if v is not None else _NONE


def _params(v: Any, row: Row) -> str:
    return f'<td class="num" title="{_text(v if v is not None else "")} billion">{params(v)}</td>'


def _interval(v: Any, row: Row) -> str:
    if not v:
        return '<td class="num"><span title="no interval: see the model page">–</span></td>'
    return _num(f"{v[0]:.2f}–{v[1]:.2f}")


def _rank_range(v: Any, row: Row) -> str:
    if not v:
        return _NONE
    return _num(f"{v[0]}–{v[1]}" if v[1] != v[0] else f"{v[0]}")


def _contamination(alpha: float, names: Mapping[str, str]) -> Cell:
    title = (f"the contamination test's smallest p-value (Oren et al.); below {alpha}: evidence "
             "that the model saw that benchmark in its published order; see the model page")  # fmt: skip

    def cell(v: Any, row: Row) -> str:
        if v is None:
            return '<td class="num"><span title="not tested">–</span></td>'
        benchmark = row["contamination_benchmark"]
        shown = _text(names.get(benchmark, benchmark))
        return f'<td class="num"><span title="{title}">{v:.2g}</span> <small>{shown}</small></td>'

    return cell


def _plain(v: Any, row: Row) -> str:
    if v is True or v is False:
        return "<td>yes</td>" if v else "<td>no</td>"
    return f"<td>{_text(v if v is not None else '')}</td>"


def _common(v: Any, row: Row) -> str:
    """`_plain` for a column whose values recur (see `_recurring`)."""
    if v is True or v is False:
        return "<td>yes</td>" if v else "<td>no</td>"
    return f"<td>{_recurring(v if v is not None else '')}</td>"


# The JSON rows' `submitted` (web/_board.py): a UTC time to the second, as `when` reads it back.
_UTC_SECONDS = re.compile(r"(\d{4})-(\d\d)-(\d\d)T(\d\d:\d\d):\d\dZ")
_MONTHS = tuple(datetime(2000, m, 1).strftime("%b") for m in range(1, 13))  # when's %b


def _submitted(v: Any, row: Row) -> str:
    """`when(v)` in a cell. A row's time is read from its digits: parsing it back into a datetime
    and formatting it twice cost ~5 µs a row."""
    parts = _UTC_SECONDS.fullmatch(v) if type(v) is str else None
    if parts is None:
        return f"<td>{when(v)}</td>"
    year, month, day, minute = parts.groups()
    shown = f"{int(day)} {_MONTHS[int(month) - 1]} {year}, {minute}"  # digits: nothing to escape
    return f'<td><time datetime="{v}" title="{v}">{shown}</time></td>'


_CELLS: dict[str, Cell] = {
    "params": _params,
    "submitted": _submitted,
    "co2": _formatted("{:.2f}"),
    "wall_seconds": _formatted("{:,.0f}"),
    "tokens_per_s": _formatted("{:,.0f}"),
    "device_hours": _formatted("{:.3g}"),
    "gpu_hours": _formatted("{:.3g}"),
    "ci": _interval,
    "rank_range": _rank_range,
}


# Columns whose cells recur from row to row; the others (commits, base models) are escaped each.
_RECURRING = frozenset({"architecture", "weight_type", "precision", "license", "backend", "type"})


def _header(name: str, title: str, sort: str, descending: bool, query: str,
            numeric: bool = False, cls: str = "") -> str:  # fmt: skip
    on = sort == name
    classes = " ".join(c for c in (cls, "num" if numeric else "") if c)
    attributes = f' class="{classes}"' if classes else ""
    if on:
        attributes += f' aria-sort="{"descending" if descending else "ascending"}"'
    href = link(query, sort=name, dir="asc" if on and descending else "desc", page=None)
    arrow = (" ⬇" if descending else " ⬆") if on else ""
    return (f'<th scope="col" data-sort="{_text(name)}"{attributes}><a href="{_text(href)}" '
            f'title="sort by {_text(title)}">{_text(title)}{arrow}</a></th>')  # fmt: skip


def _head(board: Mapping[str, Any], view: BoardView, query: str) -> str:
    sort, descending = view.query.sort, view.query.descending
    cells = ['<th scope="col" class="num">#</th><th scope="col"><abbr title="model type">T</abbr></th>',
             _header("model", "Model", sort, descending, query, cls="model"),
             _header("average", "Average", sort, descending, query, numeric=True)]  # fmt: skip
    cells += [_header(b["name"], b["display_name"], sort, descending, query, numeric=True)
              for b in board["benchmarks"]]  # fmt: skip
    for c in board["columns"]:
        title = "#Params" if c["name"] == "params" else c["title"]
        if c["sortable"]:
            numeric = c["name"] not in _TEXT_COLUMNS
            cells.append(_header(c["name"], title, sort, descending, query, numeric))
        else:
            cells.append(f'<th scope="col">{_text(title)}</th>')
    return f"<tr>{''.join(cells)}</tr>"


def _badges(row: Row) -> str:
    badges = ' <span class="badge pinned">pinned</span>' if row["rank"] is None else ""
    if row["origin"] == "archive":
        badges += _ARCHIVE
    if row["flagged"]:
        badges += (
            f' <span class="badge flag" title="flagged: {_text(row["flagged"])}">🚩 flagged</span>'
        )
        address = row["flag_link"]
        if address and _WEB_ADDRESS.match(address):
            badges += (
                f' <a class="flag-link" rel="nofollow noopener" href="{_text(address)}">why</a>'
            )
    if row["available"] is False:
        reason = row["unavailable_reason"]
        because = f": {_text(reason)}" if reason else ""
        badges += (
            f' <span class="badge unavailable" title="unavailable{because}">unavailable</span>'
        )
    if row["eval_limit"] is not None:
        limit = _text(row["eval_limit"])
        badges += (f' <span class="badge run-mark" title="evaluated on the first {limit} samples of '
                   f'each task only; not comparable with full runs">limit {limit}</span>')  # fmt: skip
    if row["data_modified"]:
        badges += _MODIFIED
    return badges


def _model_cell(row: Row, model: str, pin_link: Callable[[str], str]) -> str:
    """`model`: the row's id, escaped; `pin_link(id)`: its pin link, escaped for an attribute."""
    org, _, name = model.partition("/")  # escaping leaves the "/" alone
    pinned = row["pinned"]
    pin = (f'<a class="pin" title="{"unpin" if pinned else "pin to the top"}" '
           f'aria-label="{"unpin" if pinned else "pin"} {model}" '
           f'href="{pin_link(row["model"])}">{"✕" if pinned else "📌"}</a>')  # fmt: skip
    return (
        f'<th scope="row" class="model"><a href="/models/{model}">{org}/<wbr>'
        f"{name}</a>{_badges(row)} {pin}</th>"
    )


def _score_cell(raw: bool) -> Callable[[Any], str]:
    """A benchmark's cell of a page, its score raw (0-1, four places) or normalized (two)."""
    if raw:
        return lambda score: (
            f'<td class="num score" style="{bar(score["shown"], True)}">{score["shown"]:.4f}</td>'
            if score else _NONE
        )  # fmt: skip
    return lambda score: (
        f'<td class="num score" style="{bar(score["shown"])}">{score["shown"]:.2f}</td>'
        if score else _NONE
    )  # fmt: skip


def _table_row(row: Row, benchmarks: list[str], columns: list[tuple[str, Cell]],
               score_cell: Callable[[Any], str], pin_link: Callable[[str], str]) -> str:  # fmt: skip
    rank = row["rank"]
    model = _text(row["model"])
    tie = _TIE if row["tied"] else ""
    kind = _recurring(row["type"])
    average = row["average"]
    scores = row["scores"]
    cells = [f'<td class="rank num">{rank if rank is not None else "📌"}{tie}</td>',
             f'<td title="{kind}">{_recurring(row["type_symbol"])}<span class="sr-only"> {kind}</span></td>',
             _model_cell(row, model, pin_link),
             f'<td class="num score average" style="{bar(average)}">{average:.2f}</td>'
             if average is not None else _NONE,
             *[score_cell(scores.get(name)) for name in benchmarks],
             *[cell(row[key], row) for key, cell in columns]]  # fmt: skip
    pinned = ' class="pinned"' if row["pinned"] else ""
    return f'<tr{pinned} data-model="{model}">{"".join(cells)}</tr>'


def board_table(board: Mapping[str, Any], view: BoardView, query: str, alpha: float) -> Markup:
    """The board's `<table>`: sortable headers, the pinned rows, then the page's rows.
    `board` is the JSON twin's payload, `query` the page's URL query (its links keep the rest of
    the view), `alpha` the contamination test's threshold (in the column's title)."""
    names = {b.name: b.display_name for b in view.suite.benchmarks}
    special = {**_CELLS, "contamination": _contamination(alpha, names)}
    columns = [(c["key"], special.get(c["name"], _common if c["name"] in _RECURRING else _plain))
               for c in board["columns"]]  # fmt: skip
    benchmarks = [b["name"] for b in board["benchmarks"]]
    score_cell, pin_link = _score_cell(view.query.raw), toggles(query, "pin", html=True)
    body = "\n".join(_table_row(row, benchmarks, columns, score_cell, pin_link)
                     for row in (*board["pinned"], *board["rows"]))  # fmt: skip
    table = (f'<table class="board">\n<thead>{_head(board, view, query)}</thead>\n'
             f"<tbody>\n{body}\n</tbody>\n</table>")  # fmt: skip
    return Markup(table)  # noqa: S704 - every data string in it went through _text()
