"""The board page around its table, made in Python (web/_board_page.py): what comes from the
request (search text, pins, the query in links) or from a suite is escaped exactly once, and the
form shows the state the URL asks for; and the JSON twins and their rows, written as before."""

import json
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import pytest
from starlette.datastructures import QueryParams
from starlette.responses import JSONResponse

from openboard.domain import BenchmarkScore, ModelType, Origin, Precision, WeightType
from openboard.evaluation import STARTER, Suite
from openboard.store import SORT_COLUMNS, BoardRow, Flag, ShownRequest
from openboard.store._board import RowMarks
from openboard.web._board import OPTIONAL_COLUMNS, _rows, parse_view
from openboard.web._board_page import board_main
from openboard.web._json import JSONPage
from openboard.web._links import link

from .conftest import POSTGRES_SERVER
from .test_board_html import HOSTILE, row

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


class Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def inputs(self) -> list[dict[str, str | None]]:
        return [attrs for tag, attrs in self.tags if tag == "input"]

    def checked(self) -> set[tuple[str | None, str | None]]:
        return {(a["name"], a["value"]) for a in self.inputs() if "checked" in a}

    def hidden(self, name: str) -> list[str | None]:
        return [a["value"] for a in self.inputs() if a["type"] == "hidden" and a["name"] == name]

    def hrefs(self) -> list[str]:
        return [str(a["href"]) for tag, a in self.tags if tag == "a" and a.get("href")]


def render(query: str, suite: Suite = STARTER, rows: int = 1, total: int = 120) -> Page:
    view = parse_view(QueryParams(query), {suite.name: suite}, suite.name, frozenset())
    pages = max(1, -(-total // view.per_page))
    board: dict[str, Any] = {
        "suite": suite.name, "page": view.page, "pages": pages, "total": total,
        "total_at_least": False,
        "benchmarks": [{"name": b.name, "display_name": b.display_name}
                       for b in suite.benchmarks if b.name in view.shown],
        "columns": [{"name": c, "title": OPTIONAL_COLUMNS[c],
                     "key": {"params": "params_b", "contamination": "contamination_p"}.get(c, c),
                     "sortable": c in SORT_COLUMNS} for c in view.columns],
        "pinned": [], "rows": [row(f"org/model-{n}", n) for n in range(1, rows + 1)],
    }  # fmt: skip
    page = Page()
    page.feed(str(board_main(board, view, query, 0.01)))
    return page


def test_request_and_suite_strings_are_escaped_once() -> None:
    named = replace(STARTER, benchmarks=tuple(
        replace(b, display_name=f"{HOSTILE} {n}") for n, b in enumerate(STARTER.benchmarks)
    ))  # fmt: skip
    query = "q=" + HOSTILE.replace("&", "%26") + "&pin=a%2Fb&pin=c.d%2Fe-f&sort=average&page=2"
    page = render(query, named, total=500)
    assert [t for t, _ in page.tags].count("script") == 1  # board.js only: nothing injected
    assert next(a["value"] for a in page.inputs() if a["name"] == "q") == HOSTILE
    assert page.hidden("pin") == ["a/b", "c.d/e-f"]
    labels = "".join(page.text)
    for n in range(len(STARTER.benchmarks)):
        assert f"{HOSTILE} {n}" in labels  # decoded once: the page shows the name as written
    here = link(query)
    hrefs = page.hrefs()
    for path in ("/leaderboard.csv", "/leaderboard.parquet", "/api/leaderboard"):
        assert path + here in hrefs
    assert link(query, page="1") in hrefs and link(query, page="3") in hrefs
    kept = dict(parse_qsl(link(query, page="3").removeprefix("?")))
    assert kept["q"] == HOSTILE and kept["page"] == "3"


def test_the_form_shows_the_default_view() -> None:
    page = render("")
    assert page.checked() == {
        ("size", ""), ("origin", "all"), ("scores", "normalized"),
        *(("show", b.name) for b in STARTER.benchmarks), ("col", "precision"), ("col", "params"),
    }  # fmt: skip
    assert page.hidden("prefer") == ["local"] and page.hidden("sort") == ["average"]
    assert page.hidden("dir") == ["desc"] and page.hidden("pin") == []
    assert ("span", {"class": "badge"}) not in page.tags  # no "N on": nothing is changed


def test_the_form_shows_every_choice_the_url_makes() -> None:
    shown = STARTER.benchmarks[0].name
    page = render(
        "type=chat&type=merge&precision=GPTQ&size=edge&hide=moe&hide=unavailable&official=1"
        f"&flagged=show&origin=archive&prefer=both&scores=raw&average=shown&show={shown}"
        "&col=ci&col=license&sort=params&dir=asc"
    )
    assert page.checked() == {
        ("type", "chat"), ("type", "merge"), ("precision", "GPTQ"), ("size", "edge"),
        ("hide", "moe"), ("hide", "unavailable"), ("official", "1"), ("flagged", "show"),
        ("origin", "archive"), ("scores", "raw"), ("average", "shown"), ("show", shown),
        ("col", "ci"), ("col", "license"),
    }  # fmt: skip
    assert page.hidden("prefer") == ["both"] and page.hidden("sort") == ["params"]
    assert page.hidden("dir") == ["asc"]
    # 2 types, a precision, a size, 2 hides, official, origin: 8 narrowing; flagged, raw, average
    assert ("span", {"class": "badge"}) in page.tags and "11 on" in page.text


def test_an_empty_page_says_why() -> None:
    narrowed = render("type=chat", rows=0, total=0)
    assert any("No finished evaluation matches" in t for t in narrowed.text)
    assert "/" in narrowed.hrefs()
    nothing = render("", rows=0, total=0)
    assert any("No finished evaluation yet" in t for t in nothing.text)
    assert not [t for t, _ in nothing.tags if t == "table"]


def test_json_twins_are_written_as_before() -> None:
    payload = {
        "suite": "starter", "total": 12_345, "at_least": False, "none": None,
        "rows": [{"model": f"org/{HOSTILE}é🟢\u2028", "scores": {"bbh": {"shown": 41.25}},
                  "ci": [40.1, 42.9], "params_b": 7.241, "p": 0.0123, "big": 1e16}],
        "counts": {1: 2}, "pinned": (),
    }  # fmt: skip
    assert JSONPage(payload).body == JSONResponse(payload).body
    tiny = {"p": 1e-05}
    assert json.loads(JSONPage(tiny).body) == json.loads(JSONResponse(tiny).body) == tiny


T1 = datetime(2026, 11, 5, 9, 7, 59, 250000, tzinfo=UTC)
SHOWN = ShownRequest(
    id=1, model="Meta/Llama-3", model_type=ModelType.FINE_TUNED, precision=Precision.BFLOAT16,
    weight_type=WeightType.ADAPTER, params=7_241_000_000, architectures=("LlamaForCausalLM", "X"),
    license="mit", merged=False, moe=True, revision="c" * 40, submitted_time=T1,
    use_chat_template=True, base_model="meta/llama", co2_kg=0.125, eval_backend="hf",
    eval_seconds=1234.5, eval_tokens=99, tokens_per_second=12.5, device_hours=0.5, gpu_hours=None,
    available=False, unavailable_reason="gone", eval_limit=None, data_modified=False,
    origin=Origin.LOCAL,
)  # fmt: skip


def test_a_json_row_is_written_as_before() -> None:
    """A row of the JSON twin, byte for byte as before it was made for speed: its keys in order,
    plain strings for the enums, the time to the second, the namespace official whatever its
    case, the shown score of the view's kind; a pinned row of no marks and no parameters."""
    names = [b.name for b in STARTER.benchmarks]
    stored = BoardRow(1, 41.25, {n: BenchmarkScore(n, 0.4125 + k, 41.25 + k)
                                 for k, n in enumerate(names)}, RowMarks((40.1, 42.9), True, (1, 3)))  # fmt: skip
    flags = {SHOWN.model: Flag(SHOWN.model, "why <x>", "https://e.org", "mod", T1)}
    view = parse_view(QueryParams("scores=raw&pin=org%2Fplain"), {STARTER.name: STARTER},
                      STARTER.name, frozenset())  # fmt: skip
    make = _rows(view, frozenset({"meta"}), flags, {1: (names[0], 0.0123)})
    row = make(SHOWN, stored, 1)
    assert JSONPage(row).body == JSONPage({
        "rank": 1, "request_id": 1, "model": "Meta/Llama-3", "type": "fine-tuned",
        "type_symbol": "🔶", "average": 41.25,
        "scores": {n: {"normalized": 41.25 + k, "raw": 0.4125 + k, "shown": 0.4125 + k}
                   for k, n in enumerate(names)},
        "architecture": "LlamaForCausalLM,X", "weight_type": "Adapter", "precision": "bfloat16",
        "merged": False, "moe": True, "license": "mit", "params_b": 7.241, "sha": "c" * 40,
        "submitted": "2026-11-05T09:07:59Z", "chat_template": True, "official": True,
        "base_model": "meta/llama", "co2": 0.125, "backend": "hf", "wall_seconds": 1234.5,
        "tokens": 99, "tokens_per_s": 12.5, "device_hours": 0.5, "gpu_hours": None,
        "contamination_p": 0.0123, "contamination_benchmark": names[0], "pinned": False,
        "flagged": "why <x>", "flag_link": "https://e.org", "available": False,
        "unavailable_reason": "gone", "eval_limit": None, "data_modified": False,
        "origin": "local", "ci": [40.1, 42.9], "rank_range": [1, 3], "tied": True,
    }).body  # fmt: skip
    assert all(type(row[key]) is str for key in ("type", "weight_type", "precision", "origin"))
    plain = SHOWN._replace(id=2, model="org/plain", params=None, origin=Origin.ARCHIVE,
                           submitted_time=datetime(2025, 1, 2, 3, 4, 5))  # fmt: skip
    pinned = make(plain, BoardRow(2, None), None)
    assert {k: pinned[k] for k in ("rank", "params_b", "submitted", "official", "pinned",
                                   "flagged", "ci", "rank_range", "tied", "origin", "scores")} == {
        "rank": None, "params_b": None, "submitted": "2025-01-02T03:04:05Z", "official": False,
        "pinned": True, "flagged": None, "ci": None, "rank_range": None, "tied": False,
        "origin": "archive", "scores": {},
    }  # fmt: skip
