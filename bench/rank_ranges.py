"""The board's rank ranges at 100,000 (and 1,000,000) results: what a view with the "95% CI" and
"rank range" columns costs in the read model, against the same view without them, side by side.

Run: .venv/bin/python bench/rank_ranges.py [--rows 100000 1000000] [--views 200] [--seed 1234]
(PYTHONPATH=<a checkout>/src for the code of that checkout)

The board is bench/board_update.py's synthetic snapshot, with a 95% interval stored for every
score and every average (half widths 0.5-4 points, as a v2 evaluation's bootstrap gives). Each
distinct view (search, types, size, sort, hides, raw, page) is asked twice on the warm snapshot:
plain, and with rank ranges (every row of the view enters the ranking, so its cost grows with the
view, not the page). Times are thread CPU (the machine is shared). Headline figures come last as
`name: value` lines; `rank_ranges_ratio` is the p99 with rank ranges over the p99 without.
"""

import argparse
import statistics
from dataclasses import replace
from typing import Any

import numpy as np
from board_update import BENCHMARKS, board, cpu_ms, short, views

from openboard.store._names import NameIndex, folding
from openboard.store._snapshot import BoardSnapshot

AVERAGE = "average"


def intervals(
    columns: dict[str, list[Any]], scores: list[tuple[int, str, float, float]], seed: int
) -> list[tuple[int, str, float, float]]:
    """(id, benchmark or "average", low, high) around each normalized score and average."""
    rng = np.random.default_rng(seed)
    points = [(i, b, normalized) for i, b, _, normalized in scores]
    points += list(zip(columns["id"], [AVERAGE] * len(columns["id"]), columns["average"],
                       strict=True))  # fmt: skip
    half = rng.uniform(0.5, 4.0, len(points))
    return [(i, b, p - h, p + h) for (i, b, p), h in zip(points, half.tolist(), strict=True)]


def p99(values: list[float]) -> float:
    return float(np.percentile(values, 99))


def measure(rows: int, count: int, seed: int) -> dict[str, float]:
    columns, scores = board(rows, seed)
    print(f"{rows:,} rows: building with intervals ...", flush=True)
    snapshot = BoardSnapshot.build((0, 0), NameIndex(folding("sqlite")), columns, scores, {},
                                   intervals(columns, scores, seed))  # fmt: skip
    shown = views(seed, count)
    for query in shown:  # the filters' masks warm, as a server has them after a while
        snapshot.page(query)
    plain = [cpu_ms(lambda q=q: snapshot.page(q))[0] for q in shown]
    ranked_pages = []
    ranked = []
    for query in shown:
        spent, page = cpu_ms(lambda q=query: snapshot.page(replace(q, rank_ranges=True)))
        ranked.append(spent)
        ranked_pages.append(page)
    marked = sum(
        1 for found, _ in ranked_pages for r in found if r.marks is not None and r.marks.ranks
    )
    assert marked, "no row of any view got a rank range: the intervals did not reach the view"
    facts = {
        "plain_p50_ms": statistics.median(plain), "plain_p99_ms": p99(plain),
        "ranked_p50_ms": statistics.median(ranked), "ranked_p99_ms": p99(ranked),
        "rows_with_rank_ranges": float(marked),
    }  # fmt: skip
    facts["ratio"] = facts["ranked_p99_ms"] / facts["plain_p99_ms"]
    print(f"  plain p50 {facts['plain_p50_ms']:6.2f} p99 {facts['plain_p99_ms']:6.2f} ms   "
          f"with rank ranges p50 {facts['ranked_p50_ms']:6.2f} p99 {facts['ranked_p99_ms']:6.2f} ms   "
          f"p99 ratio {facts['ratio']:5.2f}x   rows ranged {marked}", flush=True)  # fmt: skip
    return facts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000])
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    print(f"benchmarks: {', '.join(BENCHMARKS)}; {args.views} distinct views per board")
    results = {rows: measure(rows, args.views, args.seed) for rows in args.rows}
    for rows, facts in results.items():
        name = short(rows)
        print(f"page_{name}_p99_ms: {facts['plain_p99_ms']:.2f}")
        print(f"page_with_rank_ranges_{name}_p99_ms: {facts['ranked_p99_ms']:.2f}")
        print(f"page_with_rank_ranges_{name}_p50_ms: {facts['ranked_p50_ms']:.2f}")
        print(f"rank_ranges_{name}_ratio: {facts['ratio']:.2f}")


if __name__ == "__main__":
    main()
