"""Pages and their JSON twins, driven in-process through the ASGI app."""

import gzip
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from openboard.cli._context import Context
from openboard.domain import BenchmarkScore, ModelType, Precision, TaskScore
from openboard.evaluation import STARTER, SUITES
from openboard.queue import claim_next, fail, finish
from openboard.web import create_app, queue_payload

from .test_store import new_request

T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.fixture
def client(context: Context) -> Iterator[TestClient]:
    store = context.store
    done = store.add_request(new_request(model="org/good"), actor="alice")
    store.add_request(
        replace(new_request(model="org/broken"), sender="<script>alert(1)</script>"), actor="x"
    )
    store.add_request(new_request(model="org/waiting"), actor="carol")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None and running.id == done.id
    task = TaskScore("starter_bbh", "starter_bbh_web_of_lies", "acc_norm", 0.75, 0.05, 2, 50.0, 40)
    finish(
        store,
        running,
        actor="w1",
        at=T0,
        task_scores=[task],
        benchmark_scores=[BenchmarkScore("starter_bbh", 0.75, 50.0)],
        average=50.0,
        eval_seconds=60.0,
        co2_kg=0.025,
    )
    broken = claim_next(store, "w1", lambda: T0)
    assert broken is not None
    fail(store, broken, actor="w1", at=T0, reason="model load: <b>bad</b> config")
    with TestClient(create_app(store, SUITES)) as http:
        yield http


def test_leaderboard_json_twin(client: TestClient) -> None:
    payload = client.get("/api/leaderboard").json()
    assert payload["schema_version"] == 2 and payload["total"] == 1
    assert payload["benchmarks"] == [
        {"name": b.name, "display_name": b.display_name} for b in STARTER.benchmarks
    ]
    (row,) = payload["rows"]
    assert row["model"] == "org/good" and row["average"] == 50.0
    assert (
        row["type_symbol"] == ModelType.PRETRAINED.symbol
        and row["precision"] == Precision.BFLOAT16.value
    )
    assert row["scores"]["starter_bbh"] == {"normalized": 50.0, "raw": 0.75, "shown": 50.0}
    assert client.get("/?format=json").json() == payload


def test_leaderboard_page_shows_what_the_json_says(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="/models/org/good"' in page.text and "50.00" in page.text
    assert "org/broken" not in page.text  # failed evaluations are not ranked


def test_queue_twin_and_page_show_reasons_escaped(client: TestClient) -> None:
    payload = client.get("/api/queue").json()
    assert payload["counts"] == {
        "PENDING": 1,
        "RUNNING": 0,
        "FINISHED": 1,
        "FAILED": 1,
        "CANCELLED": 0,
    }
    by_model = {r["model"]: r for r in payload["requests"]}
    assert by_model["org/broken"]["failure_reason"] == "model load: <b>bad</b> config"
    assert by_model["org/waiting"]["position"] == 1
    # One finished run of 60 s and nothing running: the next pending one starts about now.
    assert payload["typical_eval_seconds"] == 60.0
    assert by_model["org/waiting"]["estimated_start"] is not None
    assert by_model["org/good"]["estimated_start"] is None
    assert by_model["org/good"]["submitted_time"] == "2026-01-02T03:04:05Z"
    html = client.get("/queue").text
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "<b>bad</b>" not in html
    assert "&lt;script&gt;" in html and "<script>alert" not in html


def test_model_page_and_twin(client: TestClient) -> None:
    payload = client.get("/api/models/org/good").json()
    (evaluation,) = payload["evaluations"]
    assert evaluation["tasks"][0]["stderr"] == 0.05
    assert "starter_bbh_web_of_lies" in client.get("/models/org/good").text
    assert client.get("/models/org/unknown").status_code == 404
    assert client.get("/api/models/..%2F/x").status_code == 404


def test_static_css_is_served_locally(client: TestClient) -> None:
    assert client.get("/static/style.css").status_code == 200


def _write_samples(folder: Path, records: list[dict[str, object]]) -> None:
    folder.mkdir(parents=True)
    with gzip.open(folder / "samples.jsonl.gz", "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(r) + "\n" for r in records)


def _choice_sample(task: str, doc_id: int, right: bool, text: str) -> dict[str, object]:
    """A loglikelihood sample in lm-eval's logged format."""
    return {
        "task": task, "doc_id": doc_id, "target": 1,
        "arguments": [[text, " no"], [text, " yes"]],
        "filtered_resps": [[-1.0, False], [-2.0, False]] if not right else [[-2.0, False], [-1.0, False]],
        "metrics": ["acc_norm"], "acc_norm": 1.0 if right else 0.0,
    }  # fmt: skip


def test_sample_browser_filters_pages_and_hides_gpqa(context: Context) -> None:
    store = context.store
    store.add_request(new_request(model="org/sampled"), actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None
    finish(store, running, actor="w1", at=T0, average=1.0, eval_seconds=1.0, co2_kg=0.0,
           task_scores=[TaskScore("starter_bbh", "starter_bbh_web_of_lies", "acc_norm", 0.5, 0.1, 2, 0.0, 30)],
           benchmark_scores=[BenchmarkScore("starter_bbh", 0.5, 0.0)])  # fmt: skip
    artifacts = context.settings.artifacts_dir
    _write_samples(
        artifacts / str(running.id),
        [_choice_sample("starter_bbh_web_of_lies", n, n % 3 != 0, f"<script>q{n}</script>")
         for n in range(30)]
        + [_choice_sample("leaderboard_gpqa_main", 0, False, "GPQA-STAND-IN-QUESTION")],
    )  # fmt: skip
    base = f"/api/models/org/sampled/samples/{running.id}"
    with TestClient(create_app(store, SUITES, artifacts=artifacts)) as http:
        first = http.get(f"{base}?task=starter_bbh_web_of_lies").json()
        assert [s["doc_id"] for s in first["samples"]] == list(range(20)) and first["has_more"]
        second = http.get(f"{base}?task=starter_bbh_web_of_lies&page=2").json()
        assert [s["doc_id"] for s in second["samples"]] == list(range(20, 30))
        assert not second["has_more"]
        sample = first["samples"][1]
        assert sample["output"] == "yes" and sample["target"] == "yes" and sample["correct"]
        wrong = http.get(f"{base}?task=starter_bbh_web_of_lies&wrong=true").json()["samples"]
        assert [s["doc_id"] for s in wrong] == [0, 3, 6, 9, 12, 15, 18, 21, 24, 27]
        assert all(s["output"] == "no" for s in wrong)

        hidden = http.get(f"{base}?task=leaderboard_gpqa_main").json()["samples"][0]
        assert hidden["hidden"] and hidden["prompt"] is None and hidden["correct"] is False
        page = http.get(f"/models/org/sampled/samples/{running.id}?wrong=true&page=1")
        assert "GPQA-STAND-IN-QUESTION" not in page.text and "text not shown" in page.text
        assert "&lt;script&gt;q0&lt;/script&gt;" in page.text and "<script>q0" not in page.text
        assert http.get(f"{base}?page=0").status_code == 422
        assert http.get("/api/models/org/other/samples/1").status_code == 404
        model = http.get("/api/models/org/sampled").json()["evaluations"][0]
        assert model["tasks"][0]["samples_logged"] and model["benchmarks"][0]["raw"] == 0.5
    # An operator may decide otherwise (setting hidden_sample_tasks).
    with TestClient(create_app(store, SUITES, artifacts=artifacts, hidden_sample_tasks=())) as http:
        shown = http.get(f"{base}?task=leaderboard_gpqa_main").json()["samples"][0]
        assert not shown["hidden"] and shown["prompt"] == "GPQA-STAND-IN-QUESTION"


def test_about_page_and_twin_follow_the_code(client: TestClient) -> None:
    about = client.get("/api/about").json()
    assert [t["symbol"] for t in about["model_types"]] == [t.symbol for t in ModelType]
    example = about["normalization"]["example"]
    assert [round(s["normalized"], 2) for s in example] == [20.0, 0.0, 15.0]
    assert about["normalization"]["example_benchmark"] == pytest.approx(35 / 3)
    v2 = next(s for s in about["suites"] if s["name"] == "v2")
    assert len(v2["benchmarks"]) == 6
    weighted = about["normalization"]["size_weighted_example"]
    raw = (198 * 0.22 + 546 * 0.31 + 448 * 0.28) / (198 + 546 + 448)
    assert weighted["normalized"] == pytest.approx((raw - 0.25) / 0.75 * 100)
    assert weighted["per_subset_mean"] != pytest.approx(weighted["normalized"], abs=0.1)
    assert {b["name"]: b["aggregation"] for b in v2["benchmarks"]}["gpqa"] == "size_weighted"
    html = client.get("/about").text
    for anchor in ('id="submit"', 'id="model-types"', 'id="benchmarks"', 'id="normalization"',
                   'id="reproduce"', 'id="faq"'):  # fmt: skip
        assert anchor in html
    assert "11.67" in html and client.get("/about?format=json").json() == about
    assert 'id="size-weighted"' in html and f"{weighted['normalized']:.2f}" in html


def test_queue_pages_its_history_but_shows_every_active_request(context: Context) -> None:
    store = context.store
    for n in range(5):
        store.add_request(new_request(model=f"org/ended-{n}"), actor="alice")
        ended = claim_next(store, "w1", lambda: T0)
        assert ended is not None
        fail(store, ended, actor="w1", at=T0, reason=f"model load: case {n}")
    for n in range(3):
        store.add_request(new_request(model=f"org/waiting-{n}"), actor="alice")
    with TestClient(create_app(store, SUITES)) as http:
        first = http.get("/api/queue").json()
        assert first["counts"]["FAILED"] == 5 and first["counts"]["PENDING"] == 3
        small = queue_payload(store, history_page=2, history_per_page=2)
        assert [r["model"] for r in small["requests"]] == [
            "org/waiting-0",
            "org/waiting-1",
            "org/waiting-2",
            "org/ended-2",
            "org/ended-1",
        ]
        assert small["history"] == {"page": 2, "per_page": 2, "pages": 3}
        assert http.get("/api/queue?page=0").status_code == 422
        assert http.get("/queue?format=json").json()["counts"] == first["counts"]
        assert 'id="request-1"' in http.get("/queue").text


def test_a_small_limit_run_and_modified_data_are_marked(context: Context) -> None:
    store = context.store
    marked = store.add_request(new_request(model="org/quick"), actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None and running.id == marked.id
    store.set_run_marks(running.id, 5, True)
    task = TaskScore("starter_bbh", "starter_bbh_web_of_lies", "acc_norm", 0.75, 0.05, 2, 50.0, 5)
    finish(store, running, actor="w1", at=T0, task_scores=[task],
           benchmark_scores=[BenchmarkScore("starter_bbh", 0.75, 50.0)],
           average=50.0, eval_seconds=1.0, co2_kg=0.0)  # fmt: skip
    with TestClient(create_app(store, SUITES)) as http:
        (row,) = http.get("/api/leaderboard").json()["rows"]
        assert row["eval_limit"] == 5 and row["data_modified"] is True
        board = http.get("/").text
        assert ">limit 5</span>" in board and ">modified data</span>" in board
        page = http.get("/models/org/quick").text
        assert "Small-limit run: the first 5 samples" in page and "Modified data:" in page


def test_a_full_run_carries_no_marks(client: TestClient) -> None:
    (row,) = client.get("/api/leaderboard").json()["rows"]
    assert row["eval_limit"] is None and row["data_modified"] is False
    assert "run-mark" not in client.get("/").text
