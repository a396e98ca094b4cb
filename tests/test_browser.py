"""The leaderboard in a real headless Chromium: search, filters, pins, shared URLs, model pages, CSV.

Debian's `chromium` (scripts/chromium.sh installs it) is driven by Playwright through
`executable_path`: Playwright never downloads a browser. `make pytest` sets OPENBOARD_TEST_CHROMIUM
to the executable; without it these tests are skipped. They run in the SQLite pass only: the pages
are the same over PostgreSQL, which the rest of the suite covers.

Full-page screenshots of the main pages (and of any page a test failed on) are written to
$OPENBOARD_TEST_ARTIFACTS, or test-artifacts/screenshots/ in the repository.
"""

import csv
import gzip
import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from openboard.cli._context import Context
from openboard.config import Settings
from openboard.domain import AVERAGE, BenchmarkScore, IntervalMethod, Role, ScoreInterval, TaskScore
from openboard.evaluation import OUTCOMES_FILE, STARTER, SUITES, write_outcomes
from openboard.queue import claim_next, finish
from openboard.store import Commit, Store
from openboard.web import create_app
from openboard.web._board import OPTIONAL_COLUMNS

from .test_board import T0, add_board_models, add_finished
from .test_board_intervals import add_intervals, starter_outcomes
from .test_store import new_request
from .web_helpers import PASSWORD, add_user, served

CHROMIUM = os.environ.get("OPENBOARD_TEST_CHROMIUM", "")
ARTIFACTS = Path(
    os.environ.get("OPENBOARD_TEST_ARTIFACTS")
    or Path(__file__).resolve().parents[1] / "test-artifacts" / "screenshots"
)

if os.environ.get("OPENBOARD_TEST_POSTGRES"):
    SKIP = "browser tests run in the SQLite pass only (the pages do not depend on the database)"
elif not CHROMIUM:
    SKIP = "no browser: set OPENBOARD_TEST_CHROMIUM=$(scripts/chromium.sh) (make pytest does)"
else:
    SKIP = ""
pytestmark = pytest.mark.skipif(bool(SKIP), reason=SKIP)

# The board's default order: by average, best first.
BY_AVERAGE = [
    "meta/llama-70b",
    "mistral/mistral-7b",
    "meta/llama-7b",
    "merger/frankenmoe",
    "tiny/edge-1b",
]


@pytest.fixture
def server(context: Context) -> Iterator[str]:
    """The real app under uvicorn on a free loopback port; yields its base URL."""
    store = context.store
    add_board_models(store)
    store.add_request(new_request(model="queued/waiting"), actor="carol")  # for the /queue page
    add_user(store, "alice")
    add_user(store, "root", Role.ADMIN)

    app = create_app(
        store, SUITES, submissions=context.submission(), official=frozenset({"meta"}),
        artifacts=context.settings.artifacts_dir,
    )  # fmt: skip
    with served(app) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: one Chromium for the file, closed before other modules run.
    for stale in ARTIFACTS.glob("failed-*.png"):  # from an earlier run
        stale.unlink()
    with sync_playwright() as pw:
        # Debian's chromium, never a browser Playwright would download.
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, server: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(30_000)  # plotly's script is megabytes, and the machine is shared
    page = context.new_page()
    failed_before = request.session.testsfailed
    yield page
    # The call phase is reported before teardown: keep the page a test failed on.
    if request.session.testsfailed > failed_before and not page.is_closed():
        screenshot(page, f"failed-{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}")
    context.close()


def screenshot(page: Page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path


def table(page: Page) -> list[tuple[str, str]]:
    """(rank, model) of every row of the board, top to bottom; a pinned row's rank is 📌."""
    cells: list[list[str]] = page.locator("table.board tbody tr").evaluate_all(
        """trs => trs.map(tr => [tr.cells[0].innerText.trim(),
                                 tr.querySelector('a[href^="/models/"]').innerText])"""
    )
    return [(rank, model) for rank, model in cells]


def rows(page: Page) -> list[str]:
    """The models of the ranked rows, top to bottom (the pinned rows on top excluded)."""
    return [model for rank, model in table(page) if rank != "📌"]


def pinned(page: Page) -> list[str]:
    return [model for rank, model in table(page) if rank == "📌"]


def checked(page: Page) -> list[str]:
    """Every ticked checkbox and radio of the filter form, as name=value."""
    return page.locator("form.filters input:checked").evaluate_all(
        "inputs => inputs.map(i => `${i.name}=${i.value}`)"
    )


# The URL the filter form stands for, as board.js builds it (empty values left out).
FORM_URL = """() => {
  const form = document.querySelector("form.filters");
  const params = new URLSearchParams();
  new FormData(form).forEach((value, name) => { if (value !== "") params.append(name, value); });
  const query = params.toString();
  return form.getAttribute("action") + (query ? "?" + query : "");
}"""


def apply(page: Page) -> None:
    """Submit the filter form with its button and wait until its view is shown (board.js swaps
    the results in place; without it the form's GET loads the page)."""
    expected = page.evaluate(FORM_URL)
    page.get_by_role("button", name="Apply").click()
    page.wait_for_function(
        """url => location.pathname + location.search === url
                 && !document.getElementById("results").hasAttribute("aria-busy")""",
        arg=expected,
    )


def tick(page: Page, name: str, value: str) -> None:
    page.locator(f'form.filters input[name="{name}"][value="{value}"]').check()


def test_search_box_filters_the_rows(page: Page) -> None:
    page.goto("/")
    assert rows(page) == BY_AVERAGE
    page.get_by_role("searchbox").fill("llama")
    page.get_by_role("searchbox").press("Enter")
    page.wait_for_url(re.compile(r"[?&]q=llama(&|$)"))
    assert rows(page) == ["meta/llama-70b", "meta/llama-7b"]
    assert page.get_by_role("searchbox").input_value() == "llama"

    page.get_by_role("searchbox").fill("@license:mit; mistral")
    apply(page)
    assert rows(page) == ["mistral/mistral-7b", "tiny/edge-1b"]

    page.get_by_role("searchbox").fill("nothing-is-called-this")
    apply(page)
    assert rows(page) == []
    assert "No finished evaluation matches" in page.locator("p.empty").inner_text()


def test_filter_checkboxes_and_presets(page: Page) -> None:
    page.goto("/")
    tick(page, "type", "chat")
    tick(page, "type", "fine-tuned")
    apply(page)
    assert rows(page) == ["mistral/mistral-7b", "tiny/edge-1b"]
    assert "type=chat" in page.url and "type=fine-tuned" in page.url

    page.locator('input[name="type"][value="chat"]').uncheck()
    apply(page)
    assert rows(page) == ["tiny/edge-1b"]

    page.goto("/")
    tick(page, "precision", "float16")
    apply(page)
    assert rows(page) == ["tiny/edge-1b"]

    page.goto("/")
    tick(page, "size", "mid-range")
    apply(page)
    assert rows(page) == ["mistral/mistral-7b", "meta/llama-7b", "merger/frankenmoe"]
    page.get_by_label("hide merged").check()
    apply(page)
    assert rows(page) == ["mistral/mistral-7b", "meta/llama-7b"]
    page.get_by_label("official providers only").check()
    apply(page)
    assert rows(page) == ["meta/llama-7b"]
    assert page.locator("p.count").inner_text().startswith("1 evaluation ·")  # singular


def test_filters_apply_as_they_change_without_a_reload(page: Page) -> None:
    page.goto("/")
    page.evaluate("window.sameDocument = true")  # gone if the page were loaded again
    page.get_by_label("hide merged").check()
    page.wait_for_url(re.compile(r"[?&]hide=merged(&|$)"))
    assert "merger/frankenmoe" not in rows(page) and len(rows(page)) == len(BY_AVERAGE) - 1
    page.get_by_role("searchbox").fill("llama")  # typing: applied after a pause, no Enter
    page.wait_for_url(re.compile(r"[?&]q=llama(&|$)"))
    assert rows(page) == ["meta/llama-70b", "meta/llama-7b"]
    assert page.evaluate("window.sameDocument") is True
    page.go_back()  # the address bar kept each view: back shows the previous one
    page.wait_for_function(
        """() => !location.search.includes("q=llama")
                 && !document.getElementById("results").hasAttribute("aria-busy")"""
    )
    assert "merger/frankenmoe" not in rows(page) and "hide=merged" in page.url
    assert len(rows(page)) == len(BY_AVERAGE) - 1
    assert page.get_by_role("searchbox").input_value() == ""  # the form follows the view
    assert page.evaluate("window.sameDocument") is True
    page.reload()  # the URL alone gives the same view
    assert "merger/frankenmoe" not in rows(page)


def test_pin_keeps_a_model_on_top(page: Page) -> None:
    page.goto("/?q=llama")
    assert pinned(page) == []
    # Pin a model the search does not match: it stays in view anyway.
    page.goto("/?q=llama&pin=tiny/edge-1b")
    assert pinned(page) == ["tiny/edge-1b"]
    page.goto("/")
    row = page.locator("table.board tbody tr", has=page.locator('a[href="/models/tiny/edge-1b"]'))
    row.locator("a.pin").click()
    page.wait_for_url(re.compile(r"[?&]pin=tiny%2Fedge-1b(&|$)"))
    # On top, and still in its ranked place below.
    assert table(page) == [
        ("📌", "tiny/edge-1b"),
        *((str(n), m) for n, m in enumerate(BY_AVERAGE, 1)),
    ]
    assert page.locator("table.board tbody tr").first.get_attribute("class") == "pinned"

    # The pin survives a search submitted from the form (a hidden input carries it).
    page.get_by_role("searchbox").fill("llama")
    apply(page)
    assert pinned(page) == ["tiny/edge-1b"] and rows(page) == ["meta/llama-70b", "meta/llama-7b"]

    page.locator("table.board tbody tr.pinned a.pin").click()  # unpin
    page.wait_for_url(lambda url: "pin=" not in url)
    assert pinned(page) == [] and rows(page) == ["meta/llama-70b", "meta/llama-7b"]


def test_shared_url_shows_the_same_view(page: Page, browser: Browser) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill("llama; mistral; tiny")
    tick(page, "type", "pretrained")
    tick(page, "type", "chat")
    page.get_by_label("raw").check()
    apply(page)
    page.locator("thead a", has_text="Model").click()  # sort by name, descending
    page.wait_for_url(re.compile(r"[?&]sort=model(&|$)"))
    row = page.locator("table.board tbody tr", has=page.locator('a[href="/models/meta/llama-7b"]'))
    row.locator("a.pin").click()
    page.wait_for_url(re.compile(r"[?&]pin="))
    view = {
        "rows": rows(page),
        "pinned": pinned(page),
        "search": page.get_by_role("searchbox").input_value(),
        "checked": checked(page),
    }
    assert view == {
        "rows": ["mistral/mistral-7b", "meta/llama-7b", "meta/llama-70b"],
        "pinned": ["meta/llama-7b"],
        "search": "llama; mistral; tiny",
        "checked": ["type=pretrained", "type=chat", "size=", "origin=all", "scores=raw", "show=starter_bbh",
                    "show=starter_bbh_generative", "show=starter_ifeval", "col=precision",
                    "col=params"],
    }  # fmt: skip
    shared = page.url

    fresh = browser.new_context()  # no cookies, no history: only the URL carries the view
    try:
        other = fresh.new_page()
        other.goto(shared)
        assert other.url == shared
        assert {
            "rows": rows(other),
            "pinned": pinned(other),
            "search": other.get_by_role("searchbox").input_value(),
            "checked": checked(other),
        } == view
        # Raw scores are shown as raw (four decimals) on the shared page too.
        assert "0.5000" in other.locator("table.board").inner_text()
    finally:
        fresh.close()

    page.reload()
    assert rows(page) == view["rows"] and pinned(page) == view["pinned"]


def test_sort_by_clicking_a_column_header(page: Page) -> None:
    page.goto("/")
    page.locator("thead a", has_text="Model").click()
    page.wait_for_url(re.compile(r"sort=model&dir=desc"))
    assert rows(page) == [
        "tiny/edge-1b",
        "mistral/mistral-7b",
        "meta/llama-7b",
        "meta/llama-70b",
        "merger/frankenmoe",
    ]
    assert page.locator("thead a", has_text="Model").inner_text() == "Model ⬇"
    page.locator("thead a", has_text="Model").click()  # again: the other way
    page.wait_for_url(re.compile(r"sort=model&dir=asc"))
    assert rows(page) == [
        "merger/frankenmoe",
        "meta/llama-70b",
        "meta/llama-7b",
        "mistral/mistral-7b",
        "tiny/edge-1b",
    ]
    page.locator("thead a", has_text="BBH (generated)").click()
    page.wait_for_url(re.compile(r"sort=starter_bbh&dir=desc"))
    assert rows(page) == [
        "merger/frankenmoe",
        "meta/llama-70b",
        "meta/llama-7b",
        "mistral/mistral-7b",
        "tiny/edge-1b",
    ]


def test_model_link_opens_the_model_page(page: Page) -> None:
    page.goto("/?q=mistral")
    page.get_by_role("link", name="mistral/mistral-7b", exact=True).click()
    page.wait_for_url("**/models/mistral/mistral-7b")
    assert page.locator("h1").inner_text() == "mistral/mistral-7b"
    assert page.title() == "mistral/mistral-7b · openboard"
    assert "50.00" in page.locator("main").inner_text()  # its average
    page.get_by_role("link", name="Leaderboard").click()
    page.wait_for_url(lambda url: url.endswith("/"))
    assert rows(page) == BY_AVERAGE


def test_csv_export_downloads_the_current_view(page: Page, tmp_path: Path) -> None:
    page.goto("/")
    page.get_by_role("searchbox").fill("llama; tiny")
    page.get_by_label("hide merged").check()
    apply(page)
    page.locator("thead a", has_text="Model").click()
    page.wait_for_url(re.compile(r"sort=model"))
    shown = rows(page)
    assert shown == ["tiny/edge-1b", "meta/llama-7b", "meta/llama-70b"]

    with page.expect_download() as info:
        page.get_by_role("link", name="CSV", exact=True).click()
    download = info.value
    assert download.suggested_filename == "leaderboard-starter.csv"
    target = tmp_path / download.suggested_filename
    download.save_as(target)
    with target.open(newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        header = list(reader.fieldnames or [])
        exported = list(reader)
    assert header[0] == "eval_name"
    for column in ("Model", "Average ⬆️", "Precision", "BBH (generated)", "BBH (generated) Raw"):
        assert column in header
    assert [r["Model"] for r in exported] == shown
    assert [r["Precision"] for r in exported] == ["float16", "bfloat16", "bfloat16"]
    assert float(exported[2]["Average ⬆️"]) == pytest.approx(70.0)


def test_screenshots_of_the_main_pages(page: Page) -> None:
    page.goto("/?pin=tiny/edge-1b&col=license&col=params")
    assert pinned(page) == ["tiny/edge-1b"] and rows(page) == BY_AVERAGE
    shots = [screenshot(page, "leaderboard")]
    page.goto("/models/meta/llama-70b")
    assert page.locator("h1").inner_text() == "meta/llama-70b"
    shots.append(screenshot(page, "model"))
    page.goto("/queue")
    assert "queued/waiting" in page.locator("main").inner_text()
    shots.append(screenshot(page, "queue"))
    for shot in shots:
        assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", shot


def test_optional_columns_show_their_values(page: Page) -> None:
    page.goto("/?q=edge&col=license&col=params")
    headers = page.locator("table.board thead th").all_inner_texts()
    assert headers[-2:] == ["License", "#Params"]
    cells = page.locator("table.board tbody tr").first.locator("td").all_inner_texts()
    assert cells[-2:] == ["mit", "1.1B"]  # billions, with the unit


def sign_in(page: Page, name: str) -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def test_plots_draw_under_the_content_security_policy(page: Page) -> None:
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    page.goto("/plots")
    page.locator('#plot-size[data-drawn="true"]').wait_for()
    page.locator('#plot-time[data-drawn="true"]').wait_for()
    assert page.locator("#plot-size .scatterlayer .point").count() >= 5
    legend = page.locator("#plot-time .legendtext").evaluate_all(
        "els => els.map(e => e.textContent)"
    )
    assert any("chat" in t for t in legend) and any("pretrained" in t for t in legend)
    screenshot(page, "plots")
    page.goto("/compare?models=meta/llama-70b,tiny/edge-1b")
    page.locator('#plot-compare[data-drawn="true"]').wait_for()
    assert page.locator("#plot-compare .bars .point").count() == 6  # 2 models x 3 benchmarks
    assert problems == []  # no script error and no CSP violation


def test_submit_form_in_the_browser(page: Page) -> None:
    page.goto("/submit")
    assert "/login" in page.url  # submitting needs an account
    sign_in(page, "alice")
    page.goto("/submit")
    base = page.locator("p.base-model")
    assert not base.is_visible()  # Original weights: no base model to give
    page.select_option("#weight-type", "Adapter")
    assert base.is_visible()
    page.select_option("#weight-type", "Original")
    page.locator('input[name="model_type"][value="chat"]').check()
    assert page.locator("#chat-template").is_checked()  # ticked for chat models
    page.locator('input[name="model_type"][value="pretrained"]').check()
    assert not page.locator("#chat-template").is_checked()
    page.locator('input[name="model"]').fill("demo/tiny")
    page.get_by_role("button", name="Check").click()
    page.locator("#verdict").wait_for()
    assert "Every check passed" in page.locator("#verdict").inner_text()
    page.get_by_role("button", name="Submit", exact=True).click()
    page.wait_for_function("document.querySelector('#verdict').innerText.includes('Queued')")
    assert "Queued as request #7" in page.locator("#verdict").inner_text()
    screenshot(page, "submit")


def test_an_admin_flags_a_model_and_the_board_hides_it(page: Page) -> None:
    sign_in(page, "root")
    page.goto("/admin")
    flag = page.locator('form.admin-action:has(input[name="action"][value="flag"])')
    flag.locator('input[name="model"]').fill("meta/llama-7b")
    flag.locator('input[name="link"]').fill("https://example.org/report")
    flag.locator('input[name="reason"]').fill("contaminated")
    flag.get_by_role("button", name="Flag").click()
    page.wait_for_url("**/admin?done=flag")
    assert "model.flag" in page.locator("table.audit").inner_text()
    page.goto("/")
    assert "meta/llama-7b" not in rows(page)
    page.locator('input[name="flagged"]').check()
    apply(page)
    assert "meta/llama-7b" in rows(page)
    assert page.locator('tr[data-model="meta/llama-7b"] .flag').get_attribute("title") == (
        "flagged: contaminated"
    )


# --- The board for people: phone and desktop widths, both themes, axe-core, the keyboard ---------
#
# One server for all of these (module scope): a board with enough rows for two pages, a pinned, a
# flagged and an unavailable row, and a model with subtasks, samples and a reproducibility record.

AXE = os.environ.get("OPENBOARD_TEST_AXE", "")
AXE_URL = "/__test__/axe.min.js"  # same origin: the pages' CSP (script-src 'self') lets it run
WIDTHS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1400, "height": 1000}}
THEMES = ("light", "dark")
DEMO = "openboard/demo-135m"
FILLERS = 30  # with the five board models: two pages at per_page=25
BOARD_VIEW = (
    f"/?pin=tiny/edge-1b&flagged=show&col=params&col=submitted&col=ci&col=rank_range&pin={DEMO}"
)


def _demo_model(store: Store, artifacts: Path) -> None:
    """A finished evaluation with subtasks in each benchmark, logged samples and a
    reproducibility record (what a worker leaves), so that the model page shows every part."""
    new = replace(new_request(model=DEMO, at=T0 + timedelta(days=4)), params=134_515_008)
    request = store.add_request(new, actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None and running.id == request.id
    subtasks = {
        "starter_bbh": ("boolean_expressions", "web_of_lies", "object_counting", "dyck_languages"),
        "starter_bbh_generative": ("boolean_expressions", "multistep_arithmetic"),
        "starter_ifeval": ("prompt_level_strict", "inst_level_strict"),
    }
    tasks = [
        TaskScore(benchmark, f"{benchmark}_{name}", "exact_match", raw=0.2 + 0.1 * n,
                  stderr=0.05, num_choices=None, normalized=20.0 + 10 * n, samples=50)
        for benchmark, names in subtasks.items()
        for n, name in enumerate(names)
    ]  # fmt: skip
    finish(
        store, running, actor="w1", at=T0, task_scores=tasks,
        benchmark_scores=[BenchmarkScore(b, raw=0.35, normalized=35.0) for b in subtasks],
        average=35.0, eval_seconds=312.0, co2_kg=0.0021,
    )  # fmt: skip
    folder = artifacts / str(request.id)
    folder.mkdir(parents=True)
    with gzip.open(folder / "samples.jsonl.gz", "wt", encoding="utf-8") as out:
        for doc in range(3):
            out.write(json.dumps({
                "task": tasks[0].task, "doc_id": doc, "arguments": [[f"Q: not {doc % 2 == 0}\nA:", {}]],
                "filtered_resps": ["False"], "target": "False" if doc % 2 == 0 else "True",
                "metrics": ["exact_match"], "exact_match": 1.0 if doc % 2 == 0 else 0.0,
            }) + "\n")  # fmt: skip
    (folder / "reproducibility.json").write_text(json.dumps({
        "command": "lm_eval --model hf --model_args pretrained=openboard/demo-135m --tasks starter",
        "versions": {"lm_eval": "0.4.9", "torch": "2.13.0"}, "seed": 1234, "batch_size": 8,
        "device": "cpu", "limit": None,
    }))  # fmt: skip


def _paired_outcomes(store: Store, artifacts: Path) -> None:
    """The compare page's pair (llama-70b, the demo) evaluated on the same documents, and the
    demo's intervals: the paired section and the model page's ± are drawn under axe."""
    ids = {r.model: r.id for r in store.list_requests()}
    for model, right in (("meta/llama-70b", 0.9), (DEMO, 0.5)):
        (artifacts / str(ids[model])).mkdir(parents=True, exist_ok=True)
        write_outcomes(artifacts / str(ids[model]) / OUTCOMES_FILE, starter_outcomes(right, 40))
    store.intervals.replace(ids[DEMO], [
        ScoreInterval(name, 35.0, 30.5, 39.5, IntervalMethod.BOOTSTRAP, 1000, 100)
        for name in (*(b.name for b in STARTER.benchmarks), AVERAGE)
    ], actor="test", at=T0)  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory, model_library: Path) -> Iterator[str]:
    home = tmp_path_factory.mktemp("site") / "home"
    settings = Settings(home=home, models=model_library, database_url=f"sqlite:///{home / 'ob.db'}")
    context = Context.open(settings)
    store = context.store
    store.migrate()
    add_board_models(store)
    add_intervals(store)  # frankenmoe's overlaps llama-7b's, the row above it: the tie mark
    for n in range(FILLERS):
        add_finished(store, f"filler/model-{n:02d}", (40 - n, 30 - n / 2, 35 - n), params_b=3 + n)
    _demo_model(store, settings.artifacts_dir)
    _paired_outcomes(store, settings.artifacts_dir)
    store.moderation.flag("merger/frankenmoe", "contaminated", "https://example.org/r", "root", T0)
    store.availability.record(
        Commit("meta/llama-7b", "a" * 40), False, "the repository is gone", T0, "checker"
    )
    store.add_request(new_request(model="queued/waiting"), actor="carol")
    add_user(store, "root", Role.ADMIN)
    app = create_app(
        store, SUITES, submissions=context.submission(), official=frozenset({"meta"}),
        artifacts=settings.artifacts_dir,
    )  # fmt: skip
    with served(app) as base:
        yield base
    store.engine.dispose()


def _open(
    browser: Browser, site: str, width: str, theme: str, request: pytest.FixtureRequest
) -> Iterator[Page]:
    context = browser.new_context(
        base_url=site,
        viewport=WIDTHS[width],
        color_scheme=theme,  # type: ignore[arg-type]
    )
    context.set_default_timeout(30_000)  # plotly's script is megabytes, and the machine is shared
    if AXE:
        context.route(f"**{AXE_URL}", lambda route: route.fulfill(path=AXE))
    page = context.new_page()
    failed_before = request.session.testsfailed
    yield page
    if request.session.testsfailed > failed_before and not page.is_closed():
        screenshot(page, f"failed-{re.sub(r'[^A-Za-z0-9_.-]+', '_', request.node.name)}")
    context.close()


@pytest.fixture(params=[(w, t) for w in WIDTHS for t in THEMES], ids=lambda p: f"{p[0]}-{p[1]}")
def seen(browser: Browser, site: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A page of the site at one width, with the system set to one theme."""
    yield from _open(browser, site, *request.param, request)


@pytest.fixture(params=list(WIDTHS))
def sized(browser: Browser, site: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    yield from _open(browser, site, request.param, "light", request)


ANONYMOUS_PAGES = {
    "leaderboard": BOARD_VIEW,
    "leaderboard-empty": "/?type=multimodal",
    "model": f"/models/{DEMO}",
    "model-small": "/models/meta/llama-7b",
    "samples": "",  # filled in below from the model page's link
    "queue": "/queue",
    "plots": "/plots",
    "compare": f"/compare?models=meta/llama-70b,{DEMO}",
    "about": "/about",
    "login": "/login",
}
SIGNED_IN_PAGES = {"submit": "/submit", "account": "/account", "admin": "/admin"}
# What the axe run must find drawn (else it checks nothing of it): the tie mark and the interval
# columns, the model page's intervals, rank and chart, the compare page's paired differences.
DRAWN = {
    "leaderboard": ("td.rank .tie", 'th:has-text("95% CI")', 'th:has-text("Rank range")'),
    "model": ("details.intervals", ".headline .rank", "figure.model-chart .plot .bars"),
    "compare": ("section.paired table",),
}
SCREENSHOTS = {"leaderboard", "model", "queue", "plots", "compare", "submit", "about", "admin"}


def axe_violations(page: Page) -> list[str]:
    """axe-core's serious and critical violations on the page, one line each."""
    page.add_script_tag(url=AXE_URL)
    found: list[dict[str, Any]] = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ["violations"]})).violations
             .filter(v => v.impact === "serious" || v.impact === "critical")
             .map(v => ({id: v.id, impact: v.impact, help: v.help,
                         nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": "
                                + (n.failureSummary || "").replace(/\\s+/g, " "))}))"""
    )
    return [f"{v['impact']} {v['id']} ({v['help']}): {'; '.join(v['nodes'])}" for v in found]


def overflow(page: Page) -> int:
    """How many pixels the page is wider than the viewport (0: nothing sticks out sideways)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def settle(page: Page, path: str) -> None:
    page.goto(path)
    page.wait_for_function(  # plotly draws after the page loads
        "() => [...document.querySelectorAll('.plot[data-src]')].every(p => p.dataset.drawn)"
    )


@pytest.mark.skipif(
    not AXE, reason="no axe-core: set OPENBOARD_TEST_AXE=$(scripts/axe.sh) (make pytest does)"
)
def test_every_page_fits_and_passes_axe(seen: Page, request: pytest.FixtureRequest) -> None:
    width, theme = request.node.callspec.params["seen"]
    problems: dict[str, list[str]] = {}
    seen.goto(f"/models/{DEMO}")
    pages = {
        **ANONYMOUS_PAGES,
        "samples": seen.locator("a", has_text="browse the samples").get_attribute("href"),
    }
    for group in (pages, SIGNED_IN_PAGES):
        if group is SIGNED_IN_PAGES:
            sign_in(seen, "root")
        for name, path in group.items():
            assert path
            settle(seen, path)
            assert seen.evaluate("document.documentElement.hasAttribute('data-theme')") is False
            wider = overflow(seen)
            found = axe_violations(seen) + (
                [f"the page is {wider}px wider than the screen"] if wider > 0 else []
            )
            if found:
                problems[name] = found
            for selector in DRAWN.get(name, ()):
                assert seen.locator(selector).count() >= 1, f"{name}: nothing matches {selector}"
            if name in SCREENSHOTS:
                screenshot(seen, f"{name}-{width}-{theme}")
    assert problems == {}, "\n".join(f"{p}: {v}" for p, vs in problems.items() for v in vs)


# Every optional column: the board is wider than either screen, so it has to scroll sideways.
WIDE_VIEW = "/?" + "&".join(f"col={c}" for c in OPTIONAL_COLUMNS)


def test_model_column_and_header_stay_in_view(sized: Page) -> None:
    sized.goto(WIDE_VIEW)
    box = sized.locator(".board-wrap")
    assert box.evaluate("b => b.scrollWidth > b.clientWidth + 100"), (
        "the board should scroll sideways"
    )
    box.evaluate("b => { b.scrollLeft = b.scrollWidth; b.scrollTop = 400; }")
    sized.wait_for_function("() => document.querySelector('.board-wrap').scrollLeft > 100")
    # What is drawn at the box's left edge, a little below its header, is a model cell...
    shown = box.evaluate(
        """b => { const r = b.getBoundingClientRect();
                  const head = b.querySelector('thead th.model').getBoundingClientRect();
                  const at = document.elementFromPoint(r.left + 20, head.bottom + 12);
                  const cell = at && at.closest('th.model, td');
                  return {model: !!(cell && cell.matches('tbody th.model')),
                          text: cell ? cell.innerText : '',
                          headTop: head.top - r.top,
                          header: document.elementFromPoint(r.left + 20, head.top + 5)
                                    .closest('th').innerText}; }"""
    )
    assert shown["model"] and "/" in shown["text"], shown
    assert abs(shown["headTop"]) <= 1 and shown["header"].startswith("Model"), shown  # header too
    assert overflow(sized) == 0


def test_filter_panel_opens_and_applies(sized: Page, request: pytest.FixtureRequest) -> None:
    phone = request.node.callspec.params["sized"] == "phone"
    sized.goto("/")
    panel = sized.locator("details.filter-panel")
    hide_merged = sized.get_by_label("hide merged")
    assert panel.evaluate("d => d.open") is (not phone)  # folded away on a phone only
    if phone:
        assert not hide_merged.is_visible()
        sized.locator("details.filter-panel > summary").click()
    assert hide_merged.is_visible()
    hide_merged.check()
    sized.wait_for_url(re.compile(r"[?&]hide=merged(&|$)"))
    sized.wait_for_function("() => !document.getElementById('results').hasAttribute('aria-busy')")
    assert "merger/frankenmoe" not in rows(sized)
    assert panel.evaluate("d => d.open") and "1 on" in panel.locator("summary").inner_text()
    assert overflow(sized) == 0


def _tab_to(page: Page, selector: str, limit: int = 400) -> dict[str, str]:
    """Press Tab until the focus is on an element matching `selector`; how it is drawn focused."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        found: dict[str, str] | None = page.evaluate(
            """s => { const e = document.activeElement;
                      if (!e || !e.matches(s)) return null;
                      const st = getComputedStyle(e);
                      return {outline: st.outlineStyle + " " + st.outlineWidth,
                              text: e.innerText || e.value || e.getAttribute("aria-label") || ""}; }""",
            selector,
        )
        if found is not None:
            return found
    raise AssertionError(f"Tab never reached {selector}")


def test_keyboard_reaches_sort_filters_pins_and_pages(seen: Page) -> None:
    seen.goto("/?per_page=25")
    for selector in (
        "#theme-choice",
        "#board-search",
        "details.filter-panel > summary",
        'th[data-sort="starter_bbh"] a',
        "a.pin",
        "nav.pages a[rel=next]",
    ):
        focus = _tab_to(seen, selector)  # in page order: each one after the one before
        assert not focus["outline"].startswith("none") and not focus["outline"].endswith(" 0px"), (
            selector,
            focus,
        )  # the focus is visible
    # The filters themselves: open the panel from the keyboard, then tick one with the space bar.
    seen.locator("details.filter-panel > summary").focus()
    if not seen.locator("details.filter-panel").evaluate("d => d.open"):
        seen.keyboard.press("Enter")
    _tab_to(seen, 'input[name="type"][value="chat"]')
    seen.keyboard.press("Space")
    seen.wait_for_url(re.compile(r"[?&]type=chat(&|$)"))
    seen.wait_for_function("() => !document.getElementById('results').hasAttribute('aria-busy')")
    assert rows(seen) == ["mistral/mistral-7b"]
    # Sorting by keyboard, and the header says how the table is sorted.
    seen.goto("/?per_page=25")
    assert seen.locator('th[data-sort="average"]').get_attribute("aria-sort") == "descending"
    seen.locator('th[data-sort="starter_ifeval"] a').focus()
    seen.keyboard.press("Enter")
    seen.wait_for_url(re.compile(r"sort=starter_ifeval&dir=desc"))
    assert seen.locator('th[data-sort="starter_ifeval"]').get_attribute("aria-sort") == "descending"
    assert seen.locator('th[data-sort="average"]').get_attribute("aria-sort") is None
    assert seen.locator("#results").get_attribute("aria-live") == "polite"  # updates are announced


def test_theme_choice_is_remembered(browser: Browser, site: str) -> None:
    context = browser.new_context(base_url=site, color_scheme="light")
    try:
        page = context.new_page()
        page.goto("/")
        background = "getComputedStyle(document.documentElement).backgroundColor"
        assert page.evaluate(background) == "rgb(255, 255, 255)"
        page.locator("#theme-choice").select_option("dark")
        assert page.evaluate("document.documentElement.dataset.theme") == "dark"
        assert page.evaluate(background) == "rgb(13, 17, 23)"
        page.goto(f"/models/{DEMO}")  # another page, later: still dark, and the choice shows it
        assert page.evaluate(background) == "rgb(13, 17, 23)"
        assert page.locator("#theme-choice").input_value() == "dark"
        # The chart is drawn in the theme's colours, and redrawn in the other's on a switch.
        page.locator('figure.model-chart .plot[data-drawn="true"]').wait_for()
        label = "document.querySelector('figure.model-chart .ytitle').style.fill"
        assert page.evaluate(label) == "rgb(230, 237, 243)"
        page.locator("#theme-choice").select_option("light")
        page.wait_for_function(f"{label} === 'rgb(31, 35, 40)'")
        page.locator("#theme-choice").select_option("")  # back to the system's
        page.reload()
        assert page.evaluate(background) == "rgb(255, 255, 255)"
    finally:
        context.close()
    dark = browser.new_context(base_url=site, color_scheme="dark")  # a dark system, no choice
    try:
        page = dark.new_page()
        page.goto("/")
        assert page.evaluate("getComputedStyle(document.body).color") == "rgb(230, 237, 243)"
    finally:
        dark.close()


def test_words_and_numbers_read_well(sized: Page) -> None:
    sized.goto(f"/?type=fine-tuned&col=params&col=submitted&pin={DEMO}")  # tiny/edge-1b alone
    assert sized.locator("p.count").inner_text().startswith("1 evaluation ·")
    demo = sized.locator(f'tr[data-model="{DEMO}"]')
    assert "pinned" in demo.locator("th.model").inner_text()  # marked with words, not colour alone
    edge = sized.locator('tr[data-model="tiny/edge-1b"]')
    assert edge.locator("td").all_inner_texts()[-2] == "1.1B"
    assert demo.locator("td").all_inner_texts()[-2] == "135M"
    when = edge.locator("time")
    assert when.inner_text() == "3 Mar 2026, 00:00" and when.get_attribute("title") == (
        "2026-03-03T00:00:00Z"
    )
    score = edge.locator("td.score").first
    assert score.inner_text() == "20.00"  # the number is there, beside its bar
    assert score.evaluate("td => getComputedStyle(td).backgroundSize").startswith("20%")
    sized.goto("/?flagged=show")
    assert "flagged" in sized.locator('tr[data-model="merger/frankenmoe"] .badge').inner_text()
    assert "unavailable" in sized.locator('tr[data-model="meta/llama-7b"] .badge').inner_text()
    sized.goto(f"/models/{DEMO}")
    # Its rank is its row on the default board, and its chart draws both series.
    board = sized.request.get("/api/leaderboard").json()
    (row,) = [r for r in board["rows"] if r["model"] == DEMO]
    rank = sized.locator(".headline .rank").inner_text()
    assert rank.split() == ["Rank", str(row["rank"]), "of", str(board["total"]), "on", "the",
                            "default", "board"], rank  # fmt: skip
    chart = sized.locator("figure.model-chart")
    chart.locator('.plot[data-drawn="true"]').wait_for()
    assert chart.locator(".bars .point").count() == 6  # 3 benchmarks x (its score, the median)
    assert overflow(sized) == 0
    assert sized.locator("details.subtasks").count() == 3  # one per benchmark, folded
    assert not sized.locator("table.tasks").first.is_visible()
    sized.locator("details.subtasks > summary").first.click()
    assert sized.locator("table.tasks").first.locator("tbody tr").count() == 4
    sized.goto("/?type=multimodal")
    assert "show the whole board" in sized.locator("p.empty").inner_text()
