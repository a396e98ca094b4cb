"""Archive imports get their 95% intervals at import time, from lm-eval's standard errors (the
archive keeps no per-sample outputs): the normal approximation through the board's normalization,
written with the batch, counted in the import's report and shown on the model page."""

import math
from pathlib import Path
from statistics import NormalDist

from fastapi.testclient import TestClient
from sqlalchemy import delete
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import AVERAGE, IntervalMethod, Origin
from openboard.evaluation import SUITES, V2
from openboard.store._tables import score_intervals
from openboard.web import create_app
from tests.archive_layouts import v2_document, write_run
from tests.test_archive import T1, T2

NO_STDERR = "ifeval: lm-eval reported no standard error for a task of it"


def test_an_archive_import_records_normal_intervals_centred_on_the_board_scores(
    cli_env: dict[str, str], context: Context, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    # org/twice: two runs in one batch (the newer one replaces the first, intervals included);
    # org/fresh: a bulk insert; org/bare: IFEval's stderrs are "N/A" at both levels.
    write_run(root, "org/twice", T1, v2_document("org/twice", seed=1))
    write_run(root, "org/twice", T2, v2_document("org/twice", seed=2))
    write_run(root, "org/fresh", T1, v2_document("org/fresh", seed=3))
    bare = v2_document("org/bare", seed=4)
    bare["results"]["leaderboard_ifeval"]["prompt_level_strict_acc_stderr,none"] = "N/A"
    write_run(root, "org/bare", T1, bare)
    done = CliRunner().invoke(app, ["archive", "import", str(root), "--default-type", "chat"],
                              env=cli_env)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "standard errors): 3 results with every benchmark's" in done.output, done.output
    assert f"no interval for {NO_STDERR}: 1 results" in done.output, done.output

    store = context.store
    archived = {r.model: r for r in store.list_requests() if r.origin is Origin.ARCHIVE}
    assert set(archived) == {"org/twice", "org/fresh", "org/bare"}
    z = NormalDist().inv_cdf(0.975)
    for model, request in archived.items():
        intervals = {i.benchmark: i for i in store.intervals.of(request.id)}
        assert set(intervals) == {*(b.name for b in V2.benchmarks), AVERAGE}, model
        assert {i.method for i in intervals.values()} == {IntervalMethod.NORMAL}
        board = {b.benchmark: b.normalized for b in store.scores_by_benchmark(request.id)}
        board[AVERAGE] = request.average or 0.0
        for name, interval in intervals.items():
            assert math.isclose(interval.estimate, board[name], abs_tol=1e-9), (model, name)
            if interval.low is None or interval.high is None:
                continue
            assert interval.low <= interval.estimate <= interval.high
            if interval.low > 0:  # not clipped at 0: centred on the board's score
                assert math.isclose((interval.low + interval.high) / 2, board[name], abs_tol=1e-9)
        # MMLU-Pro by hand: one task, 10 choices, stderr 0.02 of the raw score.
        mmlu = intervals["mmlu_pro"]
        assert mmlu.high is not None and mmlu.documents == 12032
        assert math.isclose(mmlu.high - mmlu.estimate, z * 0.02 * 100 / 0.9, rel_tol=1e-9)
        if model == "org/bare":
            assert intervals["ifeval"].low is None and intervals[AVERAGE].low is None
            assert intervals[AVERAGE].reason == "ifeval had no interval"
        else:
            assert all(i.low is not None for i in intervals.values()), model

    fresh = {i.benchmark: i for i in store.intervals.of(archived["org/fresh"].id)}
    # As an import before intervals came with imports left it: read again for them alone.
    with store.engine.begin() as conn:
        conn.execute(delete(score_intervals).where(
            score_intervals.c.request_id == archived["org/fresh"].id))  # fmt: skip
    again = CliRunner().invoke(app, ["archive", "import", str(root), "--default-type", "chat"],
                               env=cli_env)  # fmt: skip
    assert "0 imported, 0 updated, 0 older runs kept as history, 3 unchanged" in again.output
    assert "1 results with every benchmark's (1 of them added to results imported before" in (
        again.output
    ), again.output
    assert {i.benchmark: i for i in store.intervals.of(archived["org/fresh"].id)} == fresh
    assert store.scores.history(archived["org/fresh"].id) == []
    with TestClient(create_app(store, SUITES)) as http:
        page = http.get("/models/org/fresh").text
    assert "lm-eval&#39;s standard errors, normal approximation" in page, page
    assert f"± {fresh['mmlu_pro'].half_width:.2f}" in page
    assert f"± {fresh[AVERAGE].half_width:.2f}" in page
