"""Migration 0013 re-aggregates results stored under the old rule, from their stored per-task values."""

from datetime import UTC, datetime
from statistics import fmean

import pytest
from sqlalchemy import JSON, DateTime, column, insert, select, table, update

from openboard.domain import BenchmarkScore
from openboard.evaluation import V2, normalize
from openboard.store import Store
from openboard.store._migrate import migrate
from openboard.store._tables import benchmark_scores, requests, task_results

T0 = datetime(2026, 1, 1, tzinfo=UTC)


_OLD_COLUMNS = (
    "model", "requested_revision", "revision", "pin", "precision", "weight_type", "model_type",
    "use_chat_template", "status", "sender", "suite",
    "attempts", "namespace", "merged", "moe", "priority", "hidden",
)  # fmt: skip


def _insert_request(store: Store, model: str) -> int:
    """A request row with only the columns revision 0012 had."""
    old = table(
        "requests", column("id"), column("architectures", JSON),
        column("submitted_time", DateTime(timezone=True)), *(column(c) for c in _OLD_COLUMNS),
    )  # fmt: skip
    with store.engine.begin() as conn:
        key = conn.execute(
            insert(old).values(merged=False, moe=False, priority=0, hidden=False,
                model=model, requested_revision="main", revision="b" * 40, pin="git",
                precision="bfloat16", weight_type="Original", model_type="pretrained",
                use_chat_template=False, architectures=[], status="PENDING", sender="t",
                submitted_time=T0, suite="v2", attempts=1, namespace=model.split("/")[0],
            ).returning(old.c.id)
        ).scalar_one()  # fmt: skip
    return int(key)


def _raw(benchmark: str, task: str) -> float:
    return 0.1 + (sum(map(ord, task)) % 50) / 100 + (0.2 if benchmark == "gpqa" else 0)


def _store_old_result(store: Store, model: str, samples: int | None) -> int:
    """A finished v2 result as version 1 wrote it: every benchmark the plain mean of its subsets."""
    request_id = _insert_request(store, model)
    per_benchmark = {}
    with store.engine.begin() as conn:
        for spec in V2.benchmarks:
            rows = []
            for i, (task, choices) in enumerate(spec.tasks.items()):
                raw = _raw(spec.name, task)
                n = samples if samples is not None else 100 + 37 * i
                rows.append(
                    {"request_id": request_id, "benchmark": spec.name, "task": task,
                     "metric": spec.metrics[0], "raw": raw, "stderr": None,
                     "num_choices": choices, "normalized": normalize(raw, choices), "samples": n}
                )  # fmt: skip
            conn.execute(insert(task_results), rows)
            per_benchmark[spec.name] = (
                fmean(r["raw"] for r in rows),
                fmean(r["normalized"] for r in rows),
            )
            conn.execute(
                insert(benchmark_scores).values(
                    request_id=request_id, benchmark=spec.name,
                    raw=per_benchmark[spec.name][0], normalized=per_benchmark[spec.name][1],
                )
            )  # fmt: skip
        conn.execute(
            update(requests)
            .where(requests.c.id == request_id)
            .values(status="FINISHED", average=fmean(v[1] for v in per_benchmark.values()))
        )
    return request_id


def _weighted(request_id: int, store: Store, benchmark: str) -> float:
    tasks = [t for t in store.task_scores(request_id) if t.benchmark == benchmark]
    raw = sum(t.raw * t.samples for t in tasks) / sum(t.samples for t in tasks)
    return normalize(raw, tasks[0].num_choices)


def test_migration_reaggregates_old_rows_and_keeps_what_it_replaced(database_url: str) -> None:
    store = Store.open(database_url)
    migrate(store.engine, "0012")
    sized = _store_old_result(store, "org/sized", samples=None)
    unsized = _store_old_result(store, "org/unsized", samples=0)
    old_scores = {b.benchmark: b for b in _old_benchmarks(store, sized)}
    old_average = _average(store, sized)

    migrate(store.engine)

    request = store.get_request(sized)
    assert request is not None and request.scorer == "v2/2"
    new = {b.benchmark: b for b in store.scores_by_benchmark(sized)}
    for benchmark in ("gpqa", "math"):
        assert new[benchmark].normalized == pytest.approx(
            _weighted(sized, store, benchmark), abs=1e-9
        )
        assert new[benchmark].normalized != pytest.approx(
            old_scores[benchmark].normalized, abs=1e-3
        )
    for benchmark in ("ifeval", "bbh", "musr", "mmlu_pro"):  # normalize-each-then-mean: untouched
        assert new[benchmark] == old_scores[benchmark]
    assert request.average == pytest.approx(fmean(b.normalized for b in new.values()), abs=1e-9)
    [change] = store.scores.history(sized)
    assert (change.kind, change.old_scorer, change.new_scorer) == ("migration", "v2/1", "v2/2")
    assert change.old_average == pytest.approx(old_average)
    assert change.old_scores["gpqa"]["normalized"] == old_scores["gpqa"].normalized
    assert change.new_scores is not None
    assert change.new_scores["gpqa"]["normalized"] == new["gpqa"].normalized
    assert any(e.kind == "rescored" for e in store.events_for(sized))
    # No sample counts to weight by: left as it was, and it says which scorer that was.
    left = store.get_request(unsized)
    assert left is not None and left.scorer == "v2/1" and not store.scores.history(unsized)
    store.engine.dispose()


def _old_benchmarks(store: Store, request_id: int) -> list[BenchmarkScore]:
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(benchmark_scores).where(benchmark_scores.c.request_id == request_id)
        ).mappings()
        return [BenchmarkScore(r["benchmark"], r["raw"], r["normalized"]) for r in rows]


def _average(store: Store, request_id: int) -> float:
    with store.engine.connect() as conn:
        value = conn.execute(
            select(requests.c.average).where(requests.c.id == request_id)
        ).scalar_one()
    return float(value)
