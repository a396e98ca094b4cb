"""The board read model's update when one result lands, against a rebuild, at 100,000 and
1,000,000 results, in this process (no SQL: the follower thread's share of the work).

Run: .venv/bin/python bench/board_update.py [--rows 100000 1000000] [--updates 40] [--seed 1234]
(PYTHONPATH=<a checkout>/src for the code of that checkout)

Each board is a synthetic snapshot (seeded): `org/name` ids over 300 namespaces, six
benchmarks with raw and normalized scores (a few missing), types, precisions, sizes, licenses,
two years of submission dates. Then `--updates` changes land one after another, as the follower
thread makes them: a new result (a new model) each time, and every fourth time an existing one
hidden as well. For each we time, in thread CPU seconds (the machine is shared: wall time would
measure the others):

- `update`: `BoardSnapshot.changed`, the next snapshot from the current one;
- `first_view`: the first distinct view on the new snapshot (what a reader pays after it);
- the baselines, side by side: `rebuild` (a whole snapshot from the same rows, what a cost
  proportional to the board pays) and `sort` (the kept sort orders alone, the least any
  rebuild costs).

The ratios are rebuild / update. Run it at an older commit (the same public calls) for the
before figures. Headline figures come last as `name: value` lines.
"""

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from openboard.domain import ModelType, Origin, Precision, parse_search
from openboard.store import BoardQuery
from openboard.store._columns import COLUMNS, Changes
from openboard.store._names import NameIndex, folding
from openboard.store._snapshot import BoardSnapshot

BENCHMARKS = ("ifeval", "bbh", "math", "gpqa", "musr", "mmlu_pro")
EPOCH = np.datetime64("2024-06-01T00:00:00", "us")
Columns = dict[str, list[Any]]
Scores = list[tuple[int, str, float, float]]


def board(rows: int, seed: int, first_id: int = 1) -> tuple[Columns, Scores]:
    """`rows` board rows (ids from `first_id`) and their scores, as the store reads them."""
    rng = np.random.default_rng(seed)
    ids = np.arange(first_id, first_id + rows)
    orgs = np.array([f"org{n}" for n in range(300)], object)
    org = orgs[np.minimum(rng.zipf(1.3, rows) - 1, 299)]
    name = [f"{o}/model-{n}-{s}B" for o, n, s in
            zip(org, rng.integers(0, rows // 3 + 1, rows), rng.integers(1, 140, rows), strict=True)]  # fmt: skip
    kinds = np.array([t.value for t in ModelType], object)
    precisions = np.array([p.value for p in (Precision.BFLOAT16, Precision.FLOAT16)], object)
    params = rng.integers(100_000_000, 140_000_000_000, rows)
    submitted = EPOCH + rng.integers(0, 2 * 365 * 86400 * 10**6, rows).astype("timedelta64[us]")
    normalized = rng.uniform(0, 80, (rows, len(BENCHMARKS))).round(2)
    columns: Columns = {
        "id": ids.tolist(), "model": name, "namespace": org.tolist(),
        "suite": ["starter"] * rows, "model_type": kinds[rng.integers(0, len(kinds), rows)].tolist(),
        "precision": precisions[rng.integers(0, 2, rows)].tolist(),
        "params": [None if p % 50 == 0 else p for p in params.tolist()],
        "merged": (rng.random(rows) < 0.1).tolist(), "moe": (rng.random(rows) < 0.05).tolist(),
        "available": [None] * rows, "license": ["apache-2.0"] * rows,
        "architectures": ['["LlamaForCausalLM"]'] * rows,
        "average": normalized.mean(axis=1).round(3).tolist(),
        "submitted_time": submitted.astype(object).tolist(),
        "origin": [Origin.LOCAL.value] * rows,
        "revision": [f"{n:040x}" for n in ids.tolist()],
        "weight_type": ["Original"] * rows, "use_chat_template": [i % 2 == 0 for i in ids.tolist()],
        "base_model": [None] * rows, "eval_backend": ["hf"] * rows, "eval_tokens": [None] * rows,
        "eval_limit": [None] * rows, "data_modified": [False] * rows,
        "unavailable_reason": [None] * rows,
    }  # fmt: skip
    missing = rng.random((rows, len(BENCHMARKS))) < 0.02
    scores = [
        (int(i), b, float(v) / 100 + 0.2, float(v))
        for row, i in enumerate(ids.tolist())
        for n, (b, v) in enumerate(zip(BENCHMARKS, normalized[row].tolist(), strict=True))
        if not missing[row, n]
    ]
    return columns | _costs(rng, rows), scores


def _costs(rng: np.random.Generator, rows: int) -> Columns:
    """What each evaluation cost (drawn after the rest, so the rows are those of older runs):
    none for an import (1 in 10), no GPU-hours for a CPU run (1 in 5 of the others)."""
    measured = rng.random(rows) >= 0.1
    on_gpu = measured & (rng.random(rows) >= 0.2)
    seconds = rng.uniform(60, 36_000, rows).round(1)
    speeds = rng.uniform(50, 50_000, rows).round(1)

    def kept(values: np.ndarray[Any, Any], where: np.ndarray[Any, Any]) -> list[float | None]:
        return [v if w else None for v, w in zip(values.tolist(), where.tolist(), strict=True)]

    return {
        "co2_kg": kept(seconds * 2e-4, measured), "eval_seconds": kept(seconds, measured),
        "tokens_per_second": kept(speeds, measured), "device_hours": kept(seconds / 3600, measured),
        "gpu_hours": kept(seconds / 3600, on_gpu),
    }  # fmt: skip


def resident_mib() -> float:
    """This process's resident memory now (Linux)."""
    status = Path("/proc/self/status").read_text("ascii").splitlines()
    line = next(row for row in status if row.startswith("VmRSS:"))
    return int(line.split()[1]) / 1024


def cpu_ms(work: Callable[[], Any]) -> tuple[float, Any]:
    began = time.thread_time()
    done = work()
    return (time.thread_time() - began) * 1000, done


def views(seed: int, count: int) -> list[BoardQuery]:
    """Distinct views as the web benchmark asks them: search, types, size, sort, hides, page."""
    rng = np.random.default_rng(seed)
    sorts = ("average", "model", "params", "submitted", *BENCHMARKS)
    terms = ("", "", "model-1", "org2", "7B")
    return [
        BoardQuery(
            suite="starter",
            benchmarks=BENCHMARKS,
            search=tuple(parse_search(str(rng.choice(terms)))),
            types=frozenset([ModelType.CHAT]) if rng.random() < 0.3 else frozenset(),
            params_max_b=float(rng.choice((8, 14, 70))) if rng.random() < 0.4 else None,
            hide_merged=bool(rng.random() < 0.3),
            sort=str(rng.choice(sorts)),
            descending=bool(rng.random() < 0.7),
            raw=bool(rng.random() < 0.3),
            offset=int(rng.integers(0, 5)) * 50,
        )
        for _ in range(count)
    ]


def measure(rows: int, updates: int, seed: int) -> dict[str, float]:
    columns, scores = board(rows, seed)
    print(f"{rows:,} rows: building ...", flush=True)
    before = resident_mib()
    build_ms, snapshot = cpu_ms(
        lambda: BoardSnapshot.build((0, 0), NameIndex(folding("sqlite")), columns, scores, {})
    )
    built_mib = resident_mib() - before  # arrays and the Python objects (names, vocabularies)
    sort_ms = statistics.median(cpu_ms(snapshot._sorted)[0] for _ in range(2))
    shown = views(seed, updates * 2)
    for query in shown[updates:]:  # the warm snapshot's caches, as a server has them
        snapshot.page(query)
    update_ms: list[float] = []
    first_ms: list[float] = []
    for n in range(updates):
        new_columns, new_scores = board(1, seed + 1 + n, first_id=rows + 1 + n)
        touched = {rows + 1 + n} | ({1 + 7 * n} if n % 4 == 3 else set())  # hidden: not re-read
        change = Changes(frozenset(touched), new_columns, new_scores, None)
        version = (n + 1, 0)
        spent, snapshot = cpu_ms(lambda c=change, s=snapshot, v=version: s.changed(v, c))
        update_ms.append(spent)
        first_ms.append(cpu_ms(lambda q=shown[n], s=snapshot: s.page(q))[0])
    assert snapshot.rows == rows + updates - updates // 4, snapshot.rows
    update_ms.sort()
    first_ms.sort()
    facts = {
        "build_ms": build_ms, "sort_ms": sort_ms,
        "update_p50_ms": statistics.median(update_ms), "update_max_ms": update_ms[-1],
        "first_view_p50_ms": statistics.median(first_ms), "first_view_max_ms": first_ms[-1],
        "read_model_mib": snapshot.nbytes() / 2**20, "read_model_rss_mib": built_mib,
    }  # fmt: skip
    print(f"  rebuild {build_ms:9.1f} ms   sort only {sort_ms:8.1f} ms   "
          f"update p50 {facts['update_p50_ms']:7.2f} max {update_ms[-1]:7.2f} ms   "
          f"first view after it p50 {facts['first_view_p50_ms']:6.2f} max {first_ms[-1]:6.2f} ms   "
          f"rebuild/update {build_ms / facts['update_p50_ms']:8.0f}x   "
          f"sort/update {sort_ms / facts['update_p50_ms']:6.0f}x", flush=True)  # fmt: skip
    return facts


def short(rows: int) -> str:
    return f"{rows // 1_000_000}m" if rows >= 1_000_000 else f"{rows // 1000}k"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--updates", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    print(f"columns: {', '.join(COLUMNS)}; benchmarks: {', '.join(BENCHMARKS)}; seed {args.seed}")
    results = {rows: measure(rows, args.updates, args.seed) for rows in args.rows}
    print()
    for rows, facts in results.items():
        label = short(rows)
        print(f"update_{label}_p50_ms: {facts['update_p50_ms']:.2f}")
        print(f"update_{label}_max_ms: {facts['update_max_ms']:.2f}")
        print(f"rebuild_{label}_ms: {facts['build_ms']:.1f}")
        print(f"sort_{label}_ms: {facts['sort_ms']:.1f}")
        print(f"update_{label}_ratio_to_rebuild: {facts['build_ms'] / facts['update_p50_ms']:.0f}")
        print(f"update_{label}_ratio_to_sort: {facts['sort_ms'] / facts['update_p50_ms']:.0f}")
        print(f"first_view_after_update_{label}_p50_ms: {facts['first_view_p50_ms']:.2f}")
        print(f"first_view_after_update_{label}_max_ms: {facts['first_view_max_ms']:.2f}")
        print(f"read_model_{label}_mib: {facts['read_model_mib']:.0f}")
        print(f"read_model_{label}_resident_mib: {facts['read_model_rss_mib']:.0f}")


if __name__ == "__main__":
    main()
