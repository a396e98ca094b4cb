"""An admin turns the contamination test on or off for one request (CLI, admin page, API; audited),
the worker's stage honours the switch over the suite's setting, and the board's optional column and
the exports carry each result's smallest p-value with its benchmark."""

import csv
import io
import re
from pathlib import Path

import pyarrow.parquet as pq
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.config import Settings
from openboard.contamination import EVIDENCE_FILE, read_evidence, write_evidence
from openboard.domain import BenchmarkScore, Precision, Role, WeightType
from openboard.evaluation import STARTER, EvaluationSpec
from openboard.queue import claim_next, finish
from openboard.worker._contamination import contamination_stage, store_evidence

from .test_contamination import SQLITE_ONLY, _evidence
from .test_store import T0, new_request
from .web_helpers import add_user, sign_in

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def _finished(context: Context, model: str) -> int:
    store = context.store
    store.add_request(new_request(model=model), actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None
    scores = [BenchmarkScore(b.name, 0.5, 40.0) for b in STARTER.benchmarks]
    finish(store, running, actor="w1", at=T0, task_scores=[], benchmark_scores=scores,
           average=40.0, eval_seconds=60.0, co2_kg=0.0)  # fmt: skip
    return running.id


def test_an_admin_switches_the_test_for_one_request(
    context: Context, cli_env: dict[str, str]
) -> None:
    store = context.store
    store.add_request(new_request(model="org/asked"), actor="alice")
    store.add_request(new_request(model="org/other"), actor="alice")
    asked, other = (store.list_requests(model=m)[0].id for m in ("org/asked", "org/other"))
    runner = CliRunner()
    on = runner.invoke(app, ["admin", "contamination", str(asked), "on", "--reason", "author asked"],
                       env=cli_env)  # fmt: skip
    assert on.exit_code == 0 and "contamination test: on" in on.output, on.output
    bad = runner.invoke(app, ["admin", "contamination", str(asked), "maybe", "--reason", "x"],
                        env=cli_env)  # fmt: skip
    assert bad.exit_code != 0 and "one of on, off, suite" in bad.output, bad.output
    assert store.get_request(asked).contamination_check is True  # type: ignore[union-attr]
    assert store.get_request(other).contamination_check is None  # type: ignore[union-attr]

    with TestClient(context.web_app()) as http:
        token = add_user(store, "moderator", Role.ADMIN)
        bearer = {"Authorization": f"Bearer {token}"}
        sign_in(http, "moderator")
        page = http.get("/admin").text
        assert 'value="contamination"' in page and '<option value="suite">' in page
        form = {"csrf_token": _CSRF.findall(page)[0], "action": "contamination",
                "request_id": str(other), "check": "off", "reason": "too costly here"}  # fmt: skip
        done = http.post("/admin/actions", data=form, follow_redirects=False)
        assert done.status_code in (200, 303), done.text
        api = http.post("/api/admin/actions", json={"action": "contamination", "request_id": asked,
                        "check": "suite", "reason": "back to the setting"},
                        headers=bearer)  # fmt: skip
        assert api.status_code == 200, api.text
        refused = http.post("/api/admin/actions", json={"action": "contamination", "reason": "x",
                            "request_id": 999999, "check": "on"},
                            headers=bearer)  # fmt: skip
        assert refused.status_code == 400 and "no request #999999" in refused.json()["detail"]
        queue = {r["id"]: r for r in http.get("/api/queue").json()["requests"]}
    assert (
        queue[other]["contamination_check"] is False and queue[asked]["contamination_check"] is None
    )
    audit = [(e.actor, e.action, e.target, e.reason, e.details)
             for e in reversed(store.moderation.audit_log()) if e.action == "request.contamination"]  # fmt: skip
    assert [(a[2], a[3], a[4]["contamination_check"]) for a in audit] == [
        (f"request {asked}", "author asked", True),
        (f"request {other}", "too costly here", False),
        (f"request {asked}", "back to the setting", None),
    ]
    assert audit[1][0] == "moderator"
    assert [e.message for e in store.events_for(other) if e.kind == "contamination"] == [
        "contamination test off"
    ]


@SQLITE_ONLY
def test_the_stage_follows_the_switch_over_the_suites_setting(
    settings: Settings, tmp_path: Path
) -> None:
    # Adapter weights are never probed, so a stage that runs writes "not tested" evidence
    # without loading a model: whether the file appears says whether the stage ran.
    spec = EvaluationSpec(model_path=tmp_path, precision=Precision.FLOAT16, suite=STARTER,
                          tasks_dir=tmp_path, weight_type=WeightType.ADAPTER)  # fmt: skip
    on_by_suite = settings.model_copy(update={"contamination_suites": [STARTER.name]})
    for configured, switch, runs in [
        (settings, None, False), (on_by_suite, None, True),
        (settings, True, True), (on_by_suite, False, False),
    ]:  # fmt: skip
        workdir = tmp_path / f"{bool(configured.contamination_suites)}-{switch}"
        workdir.mkdir()
        contamination_stage(configured, spec, workdir, lambda done, total: None, switch=switch)
        assert (workdir / EVIDENCE_FILE).is_file() is runs, (
            configured.contamination_suites,
            switch,
        )
        if runs:
            notes = {e.note for e in read_evidence(workdir)}
            assert notes == {"not tested: Adapter weights are not probed"}, notes


def test_the_smallest_p_value_is_a_board_column_and_exported(
    context: Context, tmp_path: Path
) -> None:
    tested, untested = _finished(context, "org/tested"), _finished(context, "org/untested")
    write_evidence(tmp_path, [_evidence("starter_bbh", 0.31), _evidence("starter_ifeval", 0.004),
                              _evidence("starter_bbh_generative", None, "not enough examples")])  # fmt: skip
    store_evidence(context.store, tested, tmp_path, T0, "w1")
    asked = "suite=starter&col=contamination"
    with TestClient(context.web_app()) as http:
        board = http.get(f"/api/leaderboard?{asked}").json()
        page = http.get(f"/?{asked}").text
        default_page = http.get("/?suite=starter").text
        rows = list(csv.DictReader(io.StringIO(http.get(f"/leaderboard.csv?{asked}").text)))
        parquet = pq.read_table(io.BytesIO(http.get("/leaderboard.parquet?suite=starter").content))
    by_id = {r["request_id"]: r for r in board["rows"]}
    assert (by_id[tested]["contamination_p"], by_id[tested]["contamination_benchmark"]) == (
        0.004, "starter_ifeval",
    )  # fmt: skip
    assert by_id[untested]["contamination_p"] is None
    assert [c["key"] for c in board["columns"]] == ["contamination_p"]
    assert "Contamination p (min)" in page and "Contamination p (min)</a></th>" not in default_page
    ifeval = next(b.display_name for b in STARTER.benchmarks if b.name == "starter_ifeval")
    assert re.search(rf">0\.004</span> <small>{re.escape(ifeval)}</small>", page), page
    by_model = {r["Model"]: r for r in rows}
    assert by_model["org/tested"]["Contamination p (min)"] == "0.004"
    assert by_model["org/tested"]["Contamination benchmark"] == "starter_ifeval"
    assert by_model["org/untested"]["Contamination p (min)"] == ""
    assert sorted(parquet.column("Contamination p (min)").to_pylist(), key=str) == [0.004, None]
