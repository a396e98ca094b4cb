"""A board page of 50 rows, in-process: what rendering it costs, and what the whole request costs,
for this checkout against a baseline commit, side by side in the same run.

Run: .venv/bin/python bench/board_render.py [--rows 5000] [--views 200] [--seed 1234]
     [--baseline 1d173d6] [--rounds 2] [--board FILE]

One SQLite board is filled as bench/web_load.py fills it (FINISHED "starter" evaluations in bulk),
then a tenth of its models flagged (half with a link), a tenth unavailable, half given a 95%
interval and a third a contamination p-value, so that badges, ties and every optional column
have something to show. The views are web_load's distinct views (search, types, size, sort,
hides, raw scores, page) with, in most, some optional columns (the CI, rank range,
contamination and cost columns among them) and pinned models, and a few with hostile search
text. `--board FILE` keeps the board in FILE (filled when missing, reused when there: a
100,000-row fill takes minutes).

Each code tree (this checkout's src/, and the baseline's src/ from `git archive`) runs in its own
process, `--rounds` times, alternating: the app on that board, warm, then for every view once
(each URL is new, so the page cache answers none):

- `request`: the whole request through the ASGI app, called in-process on an event loop as a
  server calls it (every middleware, routing, the thread pool, the read model, the rows, the
  page), in process CPU time;
- `api`: the same for the view's JSON twin (/api/leaderboard);
- `page`: the HTML request through FastAPI's test client (which adds its own cost);
- `render`: the leaderboard template alone on the view's payload, in thread CPU time.

CPU time, not wall time: the machine is shared. The pages' HTML of both trees is compared, the
whole page (base, form, table, page links): `html_bytes_differ` counts the views whose pages
differ by a byte, `html_differ` those that still differ once whitespace between table cells, runs
of spaces and the spelling of quote entities are normalized (the Jinja table of the default
baseline spaced its cells differently); `json_bytes_differ` counts the views whose JSON twins
(/api/leaderboard's bodies) differ by a byte. Headline figures come last as `name: value` lines.
"""

import argparse
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
BASELINE = "1d173d6"  # main before the table was made in Python (web/_board_html.py)
COLUMNS = ("ci", "rank_range", "contamination", "license", "params", "submitted", "co2",
           "wall_seconds", "tokens_per_s", "flagged", "available", "architecture")  # fmt: skip


def prepare(url: str, rows: int, seed: int) -> None:
    """The board, with flags, unavailable commits, intervals and contamination p-values."""
    from web_load import fill

    from openboard.domain import AVERAGE, IntervalMethod, ScoreInterval
    from openboard.evaluation import STARTER
    from openboard.store import Commit, Store
    from openboard.store._contamination import ContaminationEvidence

    fill(url, rows, seed)
    store = Store.open(url)
    rng, at = random.Random(seed), datetime(2026, 1, 1, tzinfo=UTC)
    board = store.list_requests()
    for r in rng.sample(board, len(board) // 10):
        link = rng.choice((None, f"https://example.org/flags/{r.id}?why=1&x=2"))
        store.moderation.flag(r.model, f'checked "{r.model}" <by hand>', link, "bench", at)
    for r in rng.sample(board, len(board) // 10):
        store.availability.record(Commit(r.model, r.revision), False, "gone", at, "bench")
    for r in rng.sample(board, len(board) // 2):
        mean = r.average or 0.0
        low, high = mean - rng.uniform(0.5, 4), mean + rng.uniform(0.5, 4)
        interval = ScoreInterval(AVERAGE, mean, low, high, IntervalMethod.BOOTSTRAP, 1000, 900)
        store.intervals.replace(r.id, [interval], actor="bench", at=at)
    benchmarks = [b.name for b in STARTER.benchmarks]
    for r in rng.sample(board, len(board) // 3):
        evidence = ContaminationEvidence(
            r.id, rng.choice(benchmarks), 1, "bench", rng.random() / 10, 1.0, 0.1, 4, 10, 100,
            40, 0, 1, 0.1, 1.0, {}, None, at,
        )  # fmt: skip
        store.contamination.record(r.id, [evidence], "bench", at)
    store.engine.dispose()


def page_urls(seed: int, count: int, models: list[str]) -> list[str]:
    from web_load import distinct_views

    rng = random.Random(seed)
    urls = []
    for url in distinct_views(seed, count):
        extra = [("col", c) for c in rng.sample(COLUMNS, rng.choice((0, 1, 3, 6)))]
        extra += [("pin", m) for m in rng.sample(models, rng.choice((0, 0, 1, 3)))]
        urls.append(url + "".join(f"&{k}={v}" for k, v in extra))
    return urls + [f"/?{q}" for q in HOSTILE]


HOSTILE = ("q=%3Cscript%3Ealert(1)%3C%2Fscript%3E%22%27%26amp", "q=%22+onfocus%3D%22x&pin=a%2Fb",
           "q=%26lt%3B%3Bqwen&sort=model&dir=asc")  # fmt: skip


def normalized(html: str) -> str:
    html = re.sub(r"\s+", " ", html)
    html = re.sub(r"(</?(?:tr|td|th|thead|tbody|table)\b[^>]*>) ", r"\1", html)
    html = re.sub(r" (</?(?:tr|td|th|thead|tbody|table)\b)", r"\1", html)
    html = html.replace("&#x27;", "&#39;").replace("&quot;", "&#34;")  # html.escape's spelling
    return html.replace('class=" num"', 'class="num"')


class Asgi:
    """Calls an ASGI app as a server does, on this thread's event loop: a GET, its status and body."""

    def __init__(self, app: Any) -> None:
        import asyncio

        self._app = app
        self._loop = asyncio.new_event_loop()

    def get(self, path: str) -> tuple[int, bytes]:
        route, _, query = path.partition("?")
        scope = {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
                 "http_version": "1.1", "method": "GET", "scheme": "http", "path": route,
                 "raw_path": route.encode(), "query_string": query.encode(), "root_path": "",
                 "headers": [(b"host", b"bench"), (b"accept-encoding", b"gzip, deflate")],
                 "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000)}  # fmt: skip
        answer: dict[str, Any] = {"body": []}

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                answer["status"] = message["status"]
            else:
                answer["body"].append(message.get("body", b""))

        self._loop.run_until_complete(self._app(scope, receive, send))
        return answer["status"], b"".join(answer["body"])


def measure(url: str, urls: list[str]) -> dict[str, Any]:
    """In a tree's own process: request, api, page and render CPU ms per view, and each page's
    HTML."""
    from fastapi.testclient import TestClient
    from starlette.datastructures import QueryParams

    from openboard.domain import ModelType, Precision
    from openboard.evaluation import STARTER
    from openboard.store import Store
    from openboard.web._app import build_app
    from openboard.web._board import OPTIONAL_COLUMNS, SIZE_PRESETS, board_payload, parse_view
    from openboard.web._contamination import ALPHA
    from openboard.web._security import Limits
    from openboard.web._services import Services, WebSettings

    store = Store.open(url)
    suites = {STARTER.name: STARTER}
    unlimited = Limits(max_body_bytes=64 * 1024, api_per_minute=10**9, logins_per_minute=10)
    settings = WebSettings(official=frozenset({"qwen"}), limits=unlimited)  # every view's twin too
    services = Services(store, suites, None, settings)
    template = services.templates.env.get_template("leaderboard.html")
    page_ms, render_ms, request_ms, api_ms, pages, exact, rows = [], [], [], [], [], [], []
    twins: list[str] = []
    app = build_app(services)
    asgi = Asgi(app)
    with TestClient(app) as http:
        for warm in ("/", "/?col=ci&col=contamination&sort=params"):
            http.get(warm)
        for path in urls:
            query = path.removeprefix("/?")
            official = store.official_namespaces() | {"qwen"}
            view = parse_view(QueryParams(query), suites, STARTER.name, frozenset(official))
            context = {
                "version": "bench", "current_user": None, "csrf": lambda: "",
                "board": board_payload(store, view, view.query.official), "query": query,
                "view": view, "presets": SIZE_PRESETS, "optional_columns": OPTIONAL_COLUMNS,
                "model_types": list(ModelType), "precisions": list(Precision),
                "contamination_alpha": ALPHA,
            }  # fmt: skip
            rows.append(len(context["board"]["rows"]) + len(context["board"]["pinned"]))
            began = time.thread_time()
            template.render(context)
            render_ms.append((time.thread_time() - began) * 1000)
            began = time.process_time()
            answer = http.get(path)
            page_ms.append((time.process_time() - began) * 1000)
            assert answer.status_code == 200, (path, answer.status_code, answer.text[:500])
            pages.append(normalized(answer.text))
            for route, times in (
                (path, request_ms),
                (path.replace("/?", "/api/leaderboard?"), api_ms),
            ):
                route += "&bench=asgi"  # a URL the test client did not ask for: not a kept page
                began = time.process_time()
                status, body = asgi.get(route)
                times.append((time.process_time() - began) * 1000)
                assert status == 200, (route, status, body[:500])
            twins.append(body.decode())  # the last answer: the JSON twin
            exact.append(answer.text)
    return {"page_ms": page_ms, "render_ms": render_ms, "request_ms": request_ms,
            "api_ms": api_ms, "pages": pages, "exact": exact, "twins": twins,
            "rows": rows}  # fmt: skip


def run_tree(src: Path, url: str, urls_file: Path) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", url, str(urls_file)],
        env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(f"the measurement with {src} failed:\n{out.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--board", type=Path, help="keep the board in this SQLite file (reused)")
    parser.add_argument("--measure", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        url, urls_file = args.measure
        print(json.dumps(measure(url, json.loads(Path(urls_file).read_text()))))
        return
    sys.path.insert(0, str(HERE))
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        board = args.board.resolve() if args.board else work / "board.db"
        url = f"sqlite:///{board}"
        if not board.exists():
            print(f"filling {args.rows:,} rows ...", file=sys.stderr)
            filling = work / "filling.db"  # moved into place only when whole: a stopped fill
            prepare(f"sqlite:///{filling}", args.rows, args.seed)  # is never reused
            shutil.move(filling, board)
        from openboard.store import Store

        store = Store.open(url)
        models = sorted({r.model for r in store.list_requests()})
        store.engine.dispose()
        urls = page_urls(args.seed, args.views, models)
        urls_file = work / "urls.json"
        urls_file.write_text(json.dumps(urls))
        baseline_src = work / "baseline"
        baseline_src.mkdir()
        archive = subprocess.run(["git", "-C", str(HERE.parent), "archive", args.baseline, "src"],
                                 capture_output=True, check=True).stdout  # fmt: skip
        subprocess.run(["tar", "-x", "-C", str(baseline_src)], input=archive, check=True)
        trees = {"baseline": baseline_src / "src", "new": HERE.parent / "src"}
        results: dict[str, dict[str, list[Any]]] = {name: {} for name in trees}
        for round_ in range(args.rounds):
            for name, src in trees.items():
                print(f"round {round_ + 1}: {name} ({len(urls)} views) ...", file=sys.stderr)
                for key, values in run_tree(src, url, urls_file).items():
                    results[name].setdefault(key, []).extend(values)
    report(args, results, len(urls), list(trees))


def report(args: argparse.Namespace, results: dict[str, dict[str, list[Any]]], views: int,
           names: list[str]) -> None:  # fmt: skip
    """Every view, and the full pages alone (50 rows or more): what the headline holds."""
    pages = zip(results["baseline"]["pages"], results["new"]["pages"], strict=True)
    differ = sum(a != b for a, b in pages)
    exact = zip(results["baseline"]["exact"], results["new"]["exact"], strict=True)
    bytes_differ = sum(a != b for a, b in exact)
    twins = zip(results["baseline"]["twins"], results["new"]["twins"], strict=True)
    json_differ = sum(a != b for a, b in twins)
    rows = results["new"]["rows"]
    full = [n >= 50 for n in rows]
    print(f"board of {args.rows:,} rows, {views} distinct views x {args.rounds} rounds "
          f"(mean {statistics.fmean(rows):.0f} rows a page; {sum(full)} of {len(rows)} pages "
          f"with 50 or more), baseline {args.baseline}; CPU ms per page")  # fmt: skip
    headline: dict[str, float] = {}
    for key in ("request", "api", "page", "render"):
        for name in names:
            every = results[name][f"{key}_ms"]
            kept = [v for v, f in zip(every, full, strict=True) if f]
            for label, values in (("all pages", every), ("full pages", kept)):
                p50, p99 = percentile(values, 50), percentile(values, 99)
                print(f"  {key:6} {name:8} {label:10}: p50 {p50:6.2f}  p99 {p99:6.2f}  "
                      f"mean {statistics.fmean(values):6.2f}")  # fmt: skip
            prefix = "" if name == "new" else "baseline_"
            headline[f"{prefix}{key}_ms_p50"] = percentile(kept, 50)
            headline[f"{prefix}{key}_ms_p99"] = percentile(kept, 99)
        for p in ("p50", "p99"):
            headline[f"{key}_speedup_{p}"] = (
                headline[f"baseline_{key}_ms_{p}"] / headline[f"{key}_ms_{p}"]
            )
    for name, value in headline.items():
        print(f"{name}: {value:.2f}")
    print(f"html_differ: {differ}")
    print(f"html_bytes_differ: {bytes_differ}")
    print(f"json_bytes_differ: {json_differ}")


if __name__ == "__main__":
    main()
