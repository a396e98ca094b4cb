"""`openboard archive import` at the public leaderboard's size: 5,000 models' v2 results files
(about 60 KB each, as published), imported, imported again with nothing changed, and the board's
latency before and after the archive joins 5,000 local results, side by side.

Run: .venv/bin/python bench/archive_import.py [--models 5000] [--batch-size 500] [--reads 300]
     [--database-url postgresql+psycopg://postgres@127.0.0.1:54329/postgres]
Without --database-url the board is a fresh SQLite file in a temporary folder; with it (a server
URL) a fresh database on that server.

The files are written by the tests' layout writers (every subtask, group values, n-samples, the
run's configuration) plus an lm-eval `configs` section per task, which is what makes the published
files ~60 KB. The local results are the same kind of runs imported first and then marked local:
the board's rows and scores are those of local v2 evaluations. The board is timed in this process
through the store (its read model, and the SQL path), `--reads` pages per view, before and after
the import: the default view, a benchmark sort, a search, and each origin filter.
Headline figures come last as `name: value` lines.
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, delete, update
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from tests.archive_layouts import v2_document, write_run

from openboard.archive import ArchiveFolder, ImportReport, import_archive
from openboard.domain import ModelType, Origin, parse_search
from openboard.evaluation import V2, all_suites
from openboard.store import BoardQuery, Store
from openboard.store._tables import archive_results, requests

T0 = datetime(2024, 6, 20, tzinfo=UTC)
TARGET_IMPORT_S = 60.0  # the issue's: 5,000 models in under a minute
_FILLER = "Q: {q}\nA: Let us think step by step. " * 5


def published_file(model: str, seed: int) -> dict[str, Any]:
    document = v2_document(model, seed)
    document["configs"] = {
        task: {
            "task": task, "tag": ["leaderboard"], "dataset_path": f"openllmleaderboard/{task}",
            "test_split": "test", "doc_to_text": _FILLER.format(q=task),
            "doc_to_target": "{{target}}", "description": f"The following are questions about {task}.",
            "target_delimiter": " ", "fewshot_delimiter": "\n\n", "num_fewshot": 3,
            "metric_list": [{"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}],
            "output_type": "multiple_choice", "repeats": 1, "should_decontaminate": False,
            "fewshot_config": {"sampler": "first_n", "samples": [{"input": _FILLER, "target": "A"}]},
            "metadata": {"version": 1.0},
        }
        for task in document["results"]
    }  # fmt: skip
    document["pretty_env_info"] = "PyTorch version: 2.3.1+cu121\n" * 40
    return document


def write_archive(root: Path, prefix: str, models: int) -> float:
    """`models` models' files under `root`; their mean size in KB."""
    sizes = []
    for n in range(models):
        model = f"{prefix}{n % 400}/model-{n}-7b"
        file = write_run(root, model, T0 + timedelta(minutes=n), published_file(model, n))
        sizes.append(file.stat().st_size)
    return statistics.fmean(sizes) / 1024


def database(url: str | None, folder: Path) -> tuple[str, Callable[[], None]]:
    if url is None:
        return f"sqlite:///{folder / 'openboard.db'}", lambda: None
    name = f"bench_archive_{uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(url).set(database=name).render_as_string(hide_password=False), drop


def views() -> dict[str, BoardQuery]:
    base = BoardQuery(suite="v2", benchmarks=tuple(b.name for b in V2.benchmarks), limit=50)
    return {
        "default": base,
        "sort_gpqa": BoardQuery(**{**_fields(base), "sort": "gpqa", "descending": False}),
        "search": BoardQuery(**{**_fields(base), "search": tuple(parse_search("model-1"))}),
        "origin_local": BoardQuery(**{**_fields(base), "origin": Origin.LOCAL}),
        "origin_archive": BoardQuery(**{**_fields(base), "origin": Origin.ARCHIVE}),
    }


def _fields(query: BoardQuery) -> dict[str, Any]:
    return {name: getattr(query, name) for name in query.__dataclass_fields__}


def p99_ms(store: Store, query: BoardQuery, reads: int, in_memory: bool) -> float:
    read = store.board if in_memory else store.board_in_sql
    times = []
    for n in range(reads):
        began = time.perf_counter()
        read(BoardQuery(**{**_fields(query), "offset": (n % 5) * 50}))
        times.append((time.perf_counter() - began) * 1000)
    return statistics.quantiles(times, n=100)[98]


def board_latency(store: Store, reads: int) -> dict[str, tuple[float, float]]:
    """p99 per view: (read model, SQL)."""
    model = store.start_board_model()
    try:
        return {
            name: (p99_ms(store, q, reads, True), p99_ms(store, q, max(reads // 5, 20), False))
            for name, q in views().items()
        }
    finally:
        model.stop()
        store.stop_board_model()


def run_import(store: Store, root: Path, batch_size: int) -> ImportReport:
    return import_archive(
        store, ArchiveFolder(root, "open-llm-leaderboard/results"), all_suites(),
        lambda: datetime.now(UTC), default_type=ModelType.CHAT, batch_size=batch_size,
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", type=int, default=5000)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--reads", type=int, default=300)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="openboard-bench-archive-") as tmp:
        folder = Path(tmp)
        url, drop = database(args.database_url, folder)
        store = Store.open(url)
        try:
            store.migrate()
            began = time.perf_counter()
            write_archive(folder / "local", "team", args.models)
            run_import(store, folder / "local", args.batch_size)
            with store.engine.begin() as conn:  # the same runs, as local evaluations
                conn.execute(delete(archive_results))
                conn.execute(update(requests).values(origin=Origin.LOCAL.value))
            print(f"{args.models} local v2 results stored in {time.perf_counter() - began:.1f} s")
            before = board_latency(store, args.reads)
            size_kb = write_archive(folder / "archive", "public", args.models)
            first = run_import(store, folder / "archive", args.batch_size)
            again = run_import(store, folder / "archive", args.batch_size)
            after = board_latency(store, args.reads)
        finally:
            store.engine.dispose()
            drop()
    assert first.imported == args.models and not first.skipped, first.skipped[:3]
    assert again.unchanged == args.models and again.imported == again.updated == 0
    print(f"\n{'view':<16}{'p99 before (model/SQL) ms':>28}{'p99 after (model/SQL) ms':>28}")
    for name in before:
        b, a = before[name], after[name]
        print(f"{name:<16}{b[0]:>14.2f}{b[1]:>14.2f}{a[0]:>14.2f}{a[1]:>14.2f}")
    worst_before = max(v[0] for v in before.values())
    worst_after = max(v[0] for v in after.values())
    print(f"\nfile_kb_mean: {size_kb:.1f}")
    print(f"import_seconds: {first.seconds:.2f}")
    print(f"import_files_per_s: {args.models / first.seconds:.0f}")
    print(f"reimport_unchanged_seconds: {again.seconds:.2f}")
    print(f"import_under_a_minute: {'yes' if first.seconds < TARGET_IMPORT_S else 'no'}")
    print(f"board_p99_before_ms: {worst_before:.2f}")
    print(f"board_p99_after_ms: {worst_after:.2f}")
    print(f"board_p99_after_vs_before: {worst_after / worst_before:.2f}x")


if __name__ == "__main__":
    main()
