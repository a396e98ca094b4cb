"""The board's table HTML, made in Python: every string from the data is escaped, links from the
data become hrefs only when they are web addresses, and each row has all of its cells."""

from html.parser import HTMLParser
from typing import Any

import pytest
from starlette.datastructures import QueryParams

from openboard.evaluation import STARTER
from openboard.store import SORT_COLUMNS
from openboard.web._board import OPTIONAL_COLUMNS, parse_view
from openboard.web._board_html import board_table

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

HOSTILE = "<script>alert('x')</script>\"&"
COLUMNS = ("license", "architecture", "base_model", "sha", "flagged", "params", "ci",
           "rank_range", "contamination", "submitted", "merged", "wall_seconds")  # fmt: skip


class Parsed(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.rows: list[list[str]] = []  # the tags of each body row's cells

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th") and self.rows:
            self.rows[-1].append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def row(model: str, rank: int | None, **changes: Any) -> dict[str, Any]:
    score = {"normalized": 41.5, "raw": 0.415, "shown": 41.5}
    return {
        "rank": rank, "request_id": 1, "model": model, "type": "pretrained", "type_symbol": "🟢",
        "average": 41.5, "scores": {b.name: score for b in STARTER.benchmarks},
        "architecture": HOSTILE, "weight_type": "Original", "precision": "bfloat16",
        "merged": False, "moe": False, "license": HOSTILE, "params_b": 7.2, "sha": HOSTILE,
        "submitted": "2026-03-01T00:00:00Z", "chat_template": True, "official": False,
        "base_model": HOSTILE, "co2": None, "backend": None, "wall_seconds": 1234.5,
        "tokens": None, "tokens_per_s": None, "device_hours": None, "gpu_hours": None,
        "contamination_p": 0.004, "contamination_benchmark": HOSTILE, "pinned": False,
        "flagged": HOSTILE, "flag_link": "javascript:alert(1)", "available": False,
        "unavailable_reason": HOSTILE, "eval_limit": None, "data_modified": False,
        "origin": "local", "ci": [40.1, 42.9], "rank_range": [1, 3], "tied": True,
    } | changes  # fmt: skip


def table(rows: list[dict[str, Any]], pinned: list[dict[str, Any]], query: str) -> str:
    view = parse_view(QueryParams(query), {STARTER.name: STARTER}, STARTER.name, frozenset())
    board = {
        "benchmarks": [{"name": b.name, "display_name": b.display_name}
                       for b in STARTER.benchmarks],
        "columns": [{"name": c, "title": OPTIONAL_COLUMNS[c],
                     "key": {"params": "params_b", "contamination": "contamination_p"}.get(c, c),
                     "sortable": c in SORT_COLUMNS}
                    for c in view.columns],
        "pinned": pinned, "rows": rows,
    }  # fmt: skip
    return str(board_table(board, view, query, 0.01))


def render(rows: list[dict[str, Any]], pinned: list[dict[str, Any]], query: str) -> Parsed:
    parsed = Parsed()
    parsed.feed(table(rows, pinned, query))
    return parsed


def test_data_strings_are_escaped_and_only_web_links_are_hrefs() -> None:
    query = "&".join(f"col={c}" for c in COLUMNS) + "&pin=a%2Fpinned&q=%3Cscript%3E"
    rows = [row("evil/model", 1),
            row("evil/data-link", 2, flag_link="data:text/html,<b>x</b>"),
            row("good/link", 3, flag_link="https://example.org/why?a=1&b=\"2\""),
            row("o'rg/<n>&ame", 4)]  # fmt: skip
    parsed = render(rows, [row("a/pinned", None, pinned=True)], query)

    assert "script" not in {tag for tag, _ in parsed.tags}
    hrefs = [a.get("href") or "" for tag, a in parsed.tags if tag == "a"]
    assert not [h for h in hrefs if not h.startswith(("/", "?", "https://"))], hrefs
    assert 'https://example.org/why?a=1&b="2"' in hrefs  # escaped in the HTML, whole once parsed
    text = "".join(parsed.text)
    # license, architecture, base model, sha, the flag's reason, the contamination benchmark
    assert text.count(HOSTILE) == 6 * (len(rows) + 1)
    assert "o'rg/<n>&ame" in text  # escaped once: the page reads the id as it is
    assert [a["data-model"] for tag, a in parsed.tags if tag == "tr" and "data-model" in a][-1] == (
        "o'rg/<n>&ame"
    )
    titles = [a.get("title") for _, a in parsed.tags]
    assert f"flagged: {HOSTILE}" in titles and f"unavailable: {HOSTILE}" in titles
    # The search's `<script>` is carried in every link, encoded
    assert all("q=%3Cscript%3E" in h for h in hrefs if h.startswith("?"))


def test_every_row_has_every_cell_and_its_marks() -> None:
    query = "&".join(f"col={c}" for c in COLUMNS) + "&sort=params&dir=asc"
    rows = [row("org/one", 1, tied=False), row("org/two", 2), row("org/three", 3, ci=None)]
    parsed = render(rows, [], query)
    head, *body = parsed.rows
    # rank, type, model, average, the benchmarks, the optional columns
    assert len(head) == 4 + len(STARTER.benchmarks) + len(COLUMNS)
    assert body and all(cells == ["td", "td", "th", *["td"] * (len(head) - 3)] for cells in body)
    ties = [a for tag, a in parsed.tags if tag == "span" and a.get("class") == "tie"]
    assert len(ties) == 2
    sorted_by = [a for tag, a in parsed.tags if tag == "th" and a.get("aria-sort")]
    assert [(a["data-sort"], a["aria-sort"]) for a in sorted_by] == [("params", "ascending")]
    text = "".join(parsed.text)
    assert "40.10–42.90" in text and "1–3" in text and "0.004" in text and "1,234" in text
    assert "1 Mar 2026, 00:00" in text
    assert [a["datetime"] for tag, a in parsed.tags if tag == "time"] == [
        "2026-03-01T00:00:00Z"
    ] * 3


def test_a_rows_cells_are_written_as_before() -> None:
    """The bytes the cells had before the table was made for speed (the bars' clamped widths,
    the places, the time, the escaped links and names): what a parser reads alike either way."""
    names = [b.name for b in STARTER.benchmarks]
    query = "col=license&col=submitted&col=type&pin=a%2Fpinned&q=%3Cb%3E"
    for raw, places in (
        (False, ("41.26", "-1.50", "100.04")),
        (True, ("0.4126", "-0.0150", "1.0004")),
    ):
        scores = {n: {"normalized": v, "raw": v / 100, "shown": v / 100 if raw else v}
                  for n, v in zip(names, (41.255, -1.5, 100.04), strict=True)}  # fmt: skip
        html = table([row("o'rg/<n>&ame", 3, scores=scores, license="a<b&c", average=38.125,
                          submitted="2026-11-05T09:07:59Z")],
                     [row("a/pinned", None, pinned=True)], query + "&scores=raw" * raw)  # fmt: skip
        assert (
            f'<td class="num score average" style="--s:38.1%">38.12</td>'
            f'<td class="num score" style="--s:41.3%">{places[0]}</td>'
            f'<td class="num score" style="--s:0.0%">{places[1]}</td>'
            f'<td class="num score" style="--s:100.0%">{places[2]}</td>'
        ) in html
        assert (
            '<td>a&lt;b&amp;c</td><td><time datetime="2026-11-05T09:07:59Z" '
            'title="2026-11-05T09:07:59Z">5 Nov 2026, 09:07</time></td><td>pretrained</td>'
        ) in html
        assert '<tr data-model="o&#x27;rg/&lt;n&gt;&amp;ame">' in html
        kept = "?col=license&amp;col=submitted&amp;col=type&amp;q=%3Cb%3E" + "&amp;scores=raw" * raw
        assert f'href="{kept}&amp;pin=a%2Fpinned&amp;pin=o%27rg%2F%3Cn%3E%26ame">📌</a>' in html
        assert f'aria-label="unpin a/pinned" href="{kept}">✕</a>' in html
