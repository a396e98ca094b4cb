"""What each evaluation cost is stored with its result: board columns, exports, the API, and the
migration that fills the columns of older results from their reproducibility records."""

import csv
import io
import json
import logging
import re
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from alembic.script import ScriptDirectory
from fastapi.testclient import TestClient
from sqlalchemy import JSON, DateTime, column, insert, table

from openboard.cli._context import Context
from openboard.domain import BenchmarkScore
from openboard.evaluation import SUITES
from openboard.queue import claim_next, finish
from openboard.store import EvaluationCost, Store
from openboard.store._migrate import _config, migrate
from openboard.web import create_app

from .test_store import new_request

T0 = datetime(2026, 3, 1, tzinfo=UTC)
GPU_RUN = EvaluationCost(
    backend="openboard", tokens=4_321_000, tokens_per_second=12345.6, device_hours=0.0972,
    gpu_hours=0.0972,
)  # fmt: skip
COLUMNS = ("backend", "wall_seconds", "tokens_per_s", "device_hours", "gpu_hours")


def _finished(store: Store, model: str, average: float, cost: EvaluationCost | None) -> int:
    store.add_request(replace(new_request(model=model), params=135_000_000), actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None
    scores = [BenchmarkScore("starter_bbh", raw=average / 100, normalized=average)]
    assert finish(store, running, actor="w1", at=T0, task_scores=[], benchmark_scores=scores,
                  average=average, eval_seconds=350.0, co2_kg=0.07, cost=cost)  # fmt: skip
    return running.id


def test_the_cost_is_a_board_column_and_in_the_exports_and_the_api(context: Context) -> None:
    _finished(context.store, "org/measured", 60.0, GPU_RUN)
    _finished(context.store, "org/imported", 50.0, None)  # an import measured nothing
    app = create_app(context.store, SUITES, board_read_model=True)
    asked = "suite=starter&" + "&".join(f"col={c}" for c in COLUMNS)
    with TestClient(app) as http:
        board = http.get(f"/api/leaderboard?{asked}").json()
        page = http.get(f"/?{asked}").text
        default_page = http.get("/?suite=starter").text
        rows = list(csv.DictReader(io.StringIO(http.get(f"/leaderboard.csv?{asked}").text)))
        parquet = pq.read_table(io.BytesIO(http.get("/leaderboard.parquet?suite=starter").content))
        model = http.get("/api/models/org/measured").json()
    assert [c["name"] for c in board["columns"]] == list(COLUMNS)
    measured, imported = board["rows"]
    assert (measured["backend"], measured["wall_seconds"], measured["tokens"]) == (
        "openboard", 350.0, 4_321_000,
    )  # fmt: skip
    assert measured["tokens_per_s"] == pytest.approx(12345.6)
    assert measured["gpu_hours"] == pytest.approx(0.0972) == measured["device_hours"]
    assert all(imported[c["key"]] is None for c in board["columns"] if c["name"] != "wall_seconds")
    # The page shows them only when asked, formatted; a missing figure is a dash, not a zero.
    assert "GPU-hours" in page and "Tokens/s" in page and "GPU-hours</th>" not in default_page
    assert "12,346" in page and "0.0972" in page and ">openboard<" in page
    assert (rows[0]["Backend"], rows[0]["Tokens"], rows[0]["Wall time (s)"]) == (
        "openboard", "4321000", "350.0",
    )  # fmt: skip
    assert float(rows[0]["Tokens/s"]) == pytest.approx(12345.6) and rows[1]["GPU-hours"] == ""
    assert parquet.column("Device-hours").to_pylist() == [pytest.approx(0.0972), None]
    (evaluation,) = model["evaluations"]
    assert evaluation["eval_backend"] == "openboard" and evaluation["eval_tokens"] == 4_321_000
    assert evaluation["gpu_hours"] == pytest.approx(0.0972)


@pytest.mark.parametrize("read_model", [True, False], ids=["read model", "sql"])
def test_the_board_sorts_by_tokens_per_second_with_unmeasured_rows_last(
    context: Context, read_model: bool
) -> None:
    # Averages in another order than the speeds, so that a sort left on the average shows.
    speeds = {"org/slow": 120.5, "org/fast": 9876.0, "org/mid": 2500.0}
    for n, (model, speed) in enumerate(speeds.items()):
        _finished(context.store, model, 50.0 + n, replace(GPU_RUN, tokens_per_second=speed))
    _finished(context.store, "org/imported", 70.0, None)
    app = create_app(context.store, SUITES, board_read_model=read_model)
    view = "suite=starter&col=tokens_per_s&col=gpu_hours&sort=tokens_per_s"
    with TestClient(app) as http:

        def rows(direction: str) -> list[tuple[str, float | None]]:
            answer = http.get(f"/api/leaderboard?{view}&dir={direction}")
            assert answer.status_code == 200, answer.text
            return [(r["model"], r["tokens_per_s"]) for r in answer.json()["rows"]]

        descending, ascending = rows("desc"), rows("asc")
        exported = http.get(f"/leaderboard.csv?{view}&dir=asc").text
        page = http.get(f"/?{view}").text
        bad = http.get("/api/leaderboard?suite=starter&sort=tokens")
    measured = sorted(speeds.items(), key=lambda item: item[1])
    assert descending == [*reversed(measured), ("org/imported", None)]
    assert ascending == [*measured, ("org/imported", None)]
    assert [r["Model"] for r in csv.DictReader(io.StringIO(exported))] == [m for m, _ in ascending]
    # Both cost columns' headers are sort links; the sorted one says so.
    assert re.search(r'data-sort="tokens_per_s"[^>]* aria-sort="descending"', page)
    assert 'data-sort="gpu_hours"' in page and "sort=gpu_hours" in page
    assert bad.status_code == 400 and "unknown sort column: tokens" in bad.text


_OLD_COLUMNS = (
    "model", "requested_revision", "revision", "pin", "precision", "weight_type", "model_type",
    "use_chat_template", "status", "sender", "suite", "attempts", "namespace", "merged", "moe",
    "priority", "hidden",
)  # fmt: skip


def _before_cost_columns() -> str:
    scripts = ScriptDirectory.from_config(_config())
    (cost,) = [s for s in scripts.walk_revisions() if s.path.endswith("_evaluation_efficiency.py")]
    assert isinstance(cost.down_revision, str)
    return cost.down_revision


def _old_row(store: Store, model: str, status: str) -> int:
    """A request row as the revision before the cost columns had it."""
    old = table(
        "requests", column("id"), column("architectures", JSON),
        column("submitted_time", DateTime(timezone=True)), *(column(c) for c in _OLD_COLUMNS),
    )  # fmt: skip
    with store.engine.begin() as conn:
        key = conn.execute(
            insert(old).values(
                model=model, requested_revision="main", revision="b" * 40, pin="git",
                precision="bfloat16", weight_type="Original", model_type="pretrained",
                use_chat_template=False, architectures=[], status=status, sender="t",
                submitted_time=T0, suite="v2", attempts=1, namespace=model.split("/")[0],
                merged=False, moe=False, priority=0, hidden=False,
            ).returning(old.c.id)
        ).scalar_one()  # fmt: skip
    return int(key)


def _record(artifacts: Path, request_id: int, record: dict[str, object] | str) -> None:
    folder = artifacts / str(request_id)
    folder.mkdir(parents=True)
    text = record if isinstance(record, str) else json.dumps(record)
    (folder / "reproducibility.json").write_text(text)


def _efficiency(backend: str, prompt: int, generated: int, gpu: float | None) -> dict[str, object]:
    return {
        "backend": backend, "wall_seconds": 900.0, "prompt_tokens": prompt,
        "generated_tokens": generated, "tokens_per_second": (prompt + generated) / 900.0,
        "device_hours": 0.25, "gpu_hours": gpu, "mfu": None, "schema_version": 1,
    }  # fmt: skip


def test_the_migration_fills_older_results_from_their_records(
    database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = Store.open(database_url)
    migrate(store.engine, _before_cost_columns())
    artifacts = tmp_path / "artifacts"
    cpu = _old_row(store, "org/cpu", "FINISHED")
    _record(artifacts, cpu, {"backend": "openboard", "efficiency": _efficiency("openboard", 900, 100, None)})  # fmt: skip
    older = _old_row(store, "org/older", "FINISHED")  # written before the efficiency record
    _record(artifacts, older, {"backend": "hf", "wall_seconds": 12.0})
    vllm = _old_row(store, "org/vllm", "FINISHED")  # vLLM counts no tokens
    _record(artifacts, vllm, {"backend": "vllm", "efficiency": _efficiency("vllm", 0, 0, 0.25)})
    broken = _old_row(store, "org/broken", "FINISHED")
    _record(artifacts, broken, '{"backend": "hf", "efficiency": {')
    pending = _old_row(store, "org/pending", "PENDING")  # a record left by an attempt: no result
    _record(artifacts, pending, {"backend": "hf", "efficiency": _efficiency("hf", 5, 5, None)})
    without = _old_row(store, "org/without", "FINISHED")
    (artifacts / "notes").mkdir()  # not a request's folder

    with caplog.at_level(logging.WARNING):
        migrate(store.engine, artifacts_dir=artifacts)

    def cost(request_id: int) -> tuple[object, ...]:
        r = store.get_request(request_id)
        assert r is not None
        return r.eval_backend, r.eval_tokens, r.tokens_per_second, r.device_hours, r.gpu_hours

    assert cost(cpu) == ("openboard", 1000, pytest.approx(1000 / 900), 0.25, None)
    assert cost(older) == ("hf", None, None, None, None)
    assert cost(vllm) == ("vllm", None, None, 0.25, 0.25)
    assert cost(broken) == cost(pending) == cost(without) == (None,) * 5
    assert f"{artifacts / str(broken) / 'reproducibility.json'} was not read" in caplog.text
    store.engine.dispose()
