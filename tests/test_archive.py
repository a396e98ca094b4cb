"""`openboard archive import`: the public leaderboard's archive in its published layouts, scored by
openboard's own code, with provenance, idempotent re-imports and per-file errors."""

import hashlib
import json
import math
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2  # the HTTP library huggingface_hub builds its errors on
import pytest
from huggingface_hub import errors as hub_errors
from typer.testing import CliRunner

from openboard.archive import ArchiveFolder, ImportReport, from_hub, import_archive, read_contents
from openboard.cli import _archive as cli_archive
from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import ModelType, Origin, Precision, Status
from openboard.evaluation import all_suites
from openboard.store import Admission, Store
from tests.archive_layouts import (
    contents_row,
    contents_row_v1,
    public_rule,
    v1_document,
    v2_document,
    write_contents,
    write_run,
)
from tests.archive_layouts import v1_rule as v1_public_rule
from tests.test_store import new_request

DATASET = "open-llm-leaderboard/results"
T1 = datetime(2024, 6, 26, 20, 33, 46, 345588, tzinfo=UTC)
T2 = T1 + timedelta(days=30)
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _import(store: Store, root: Path, contents: Path | None = None, **options: Any) -> ImportReport:
    table = read_contents(contents) if contents is not None else None
    return import_archive(
        store, ArchiveFolder(root, DATASET), all_suites(), lambda: NOW, contents=table, **options
    )


def _archived(store: Store, model: str) -> list[Any]:
    return [r for r in store.list_requests(model) if r.origin is Origin.ARCHIVE]


def _scores(store: Store, request_id: int) -> dict[str, float]:
    found = {s.benchmark: s.normalized for s in store.scores_by_benchmark(request_id)}
    request = store.get_request(request_id)
    assert request is not None and request.average is not None
    return found | {"average": request.average}


def test_a_v2_file_is_scored_by_the_public_rule_with_its_provenance(
    context: Context, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    document = v2_document("org/chatty", seed=3)
    file = write_run(root, "org/chatty", T1, document)
    contents = write_contents(tmp_path / "contents.parquet", [contents_row("org/chatty")])
    report = _import(context.store, root, contents)
    assert (report.files, report.imported, report.skipped) == (1, 1, [])
    [request] = _archived(context.store, "org/chatty")
    assert request.status is Status.FINISHED and request.suite == "v2"
    assert request.revision == "a" * 40 and request.precision is Precision.BFLOAT16
    assert request.model_type is ModelType.CHAT and request.use_chat_template
    # Metadata from the contents table where the board has such fields.
    assert (request.params, request.license, request.co2_kg) == (7_242_000_000, "apache-2.0", 1.25)
    assert request.architectures == ["LlamaForCausalLM"]
    assert request.base_model == "meta-llama/Meta-Llama-3-8B" and request.available is True
    assert request.submitted_time == datetime(2024, 6, 12, tzinfo=UTC)
    expected = public_rule(document)
    got = _scores(context.store, request.id)
    assert got.keys() == expected.keys()
    assert all(math.isclose(got[k], expected[k], abs_tol=1e-9) for k in expected), (got, expected)
    assert request.scorer == "v2/3 MATH by lm-eval: no samples"
    [origin] = context.store.archive.provenance(request.id)
    assert origin.source == DATASET and origin.current
    assert origin.path == f"org/chatty/{file.name}"
    assert origin.sha256 == hashlib.sha256(file.read_bytes()).hexdigest()
    assert origin.run_at == T1 and origin.dataset_commit is None
    assert origin.contents is not None and origin.contents["Hub ❤️"] == 42


def test_a_v1_file_goes_to_the_v1_suite(context: Context, tmp_path: Path) -> None:
    root = tmp_path / "results"
    document = v1_document("old/llama", seed=5)
    write_run(root, "old/llama", T1, document)
    report = _import(context.store, root, default_type=ModelType.PRETRAINED)
    assert report.imported == 1, report.skipped
    [request] = _archived(context.store, "old/llama")
    assert (request.suite, request.precision, request.revision) == (
        "v1",
        Precision.FLOAT16,
        "b" * 40,
    )
    assert request.model_type is ModelType.PRETRAINED and request.eval_seconds == 5210.77
    expected = v1_public_rule(document)
    got = _scores(context.store, request.id)
    assert all(math.isclose(got[k], expected[k], abs_tol=1e-9) for k in expected), (got, expected)


def test_the_v1_contents_table_describes_v1_files(context: Context, tmp_path: Path) -> None:
    """open-llm-leaderboard-old/contents names some columns its own way (`date`, `Maintainers
    Choice`) and scores v1's benchmarks: its rows fill v1 requests, and `--check` compares them."""
    root = tmp_path / "results"
    chat, base = v1_document("old/chat", seed=6), v1_document("old/base", seed=7)
    write_run(root, "old/chat", T1, chat)
    write_run(root, "old/base", T1, base)
    write_run(root, "new/v2", T1, v2_document("new/v2", seed=9))
    columns = {"ARC": "arc", "HellaSwag": "hellaswag", "MMLU": "mmlu", "TruthfulQA": "truthfulqa",
               "Winogrande": "winogrande", "GSM8K": "gsm8k", "Average ⬆️": "average"}  # fmt: skip

    def site(document: dict[str, Any]) -> dict[str, Any]:
        public = v1_public_rule(document)
        return {theirs: public[ours] for theirs, ours in columns.items()}

    off = site(chat) | {"HellaSwag": site(chat)["HellaSwag"] + 0.5}
    rows = [
        contents_row_v1("old/chat", Type="instruction-tuned", T="⭕", Merged=True,
                        **{"Maintainers Choice": True, **off}),
        contents_row_v1("old/base", Type="", **{"Hub License": "?", "#Params (B)": 0, **site(base)}),
        contents_row_v1("new/v2", Precision="bfloat16", Type="chat models (RLHF, DPO, IFT, ...)",
                        **{"Model sha": "a" * 40, "Chat Template": True}),
    ]  # fmt: skip
    table = write_contents(tmp_path / "v1.parquet", rows)
    assert read_contents(table).suite == "v1"
    report = _import(context.store, root, table, check=True)
    assert (report.imported, report.skipped) == (3, [])
    [old_chat] = _archived(context.store, "old/chat")
    assert (old_chat.suite, old_chat.model_type, old_chat.precision) == (
        "v1", ModelType.CHAT, Precision.FLOAT16
    )  # fmt: skip
    assert (old_chat.params, old_chat.license, old_chat.merged, old_chat.moe) == (
        6_740_000_000, "llama2", True, False
    )  # fmt: skip
    assert old_chat.available is True
    assert old_chat.submitted_time == datetime(2023, 9, 9, 10, 52, 17, tzinfo=UTC)
    [old_base] = _archived(context.store, "old/base")
    # No words in `Type`: the symbol says it; "?" and 0 are the site's "unknown".
    assert old_base.model_type is ModelType.PRETRAINED
    assert (old_base.license, old_base.params) == (None, None)
    [origin] = context.store.archive.provenance(old_chat.id)
    assert origin.contents is not None and origin.contents["Maintainers Choice"] is True
    # The site's v1 scores beside openboard's v1 suite: only HellaSwag is off (by 0.5).
    assert [(d.path.split("/")[1], d.field) for d in report.score_differences] == [
        ("chat", "hellaswag")
    ]
    # A v2 file described by a v1 row: counted, and its scores are not compared with v1's.
    assert [(d.path.split("/")[0], d.field, d.ours, d.public) for d in report.disagreements] == [
        ("new", "contents layout", "v2", "v1")
    ]


def _break(document: dict[str, Any], how: str) -> dict[str, Any] | str:
    if how == "missing subtask":
        del document["results"]["leaderboard_bbh_snarks"]
    elif how == "nan":
        document["results"]["leaderboard_mmlu_pro"]["acc,none"] = float("nan")
    elif how == "model id":
        document["model_name"] = "bad--org/x"
    elif how == "task set":
        document["results"] = {"arc_easy": {"acc,none": 0.5}}
    elif how == "not json":
        return "{ this is not json"
    return document


def test_bad_files_are_skipped_with_their_reason_and_the_rest_imported(
    context: Context, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    reasons = {
        "missing subtask": "leaderboard_bbh_snarks",
        "nan": "not a finite number",
        "model id": "model id refused",
        "task set": "unknown task set",
        "not json": "unreadable",
        "model type": "unknown model type '🦄 unicorns'",
    }
    rows = []
    for n, how in enumerate(reasons):
        model = f"broken/m{n}"
        write_run(root, model, T1, _break(v2_document(model, seed=n), how))
        rows.append(
            contents_row(model, Type="🦄 unicorns" if how == "model type" else "🟢 pretrained")
        )
    write_run(root, "good/one", T1, v2_document("good/one", seed=9))
    rows.append(contents_row("good/one"))
    report = _import(context.store, root, write_contents(tmp_path / "c.parquet", rows))
    assert report.imported == 1 and len(_archived(context.store, "good/one")) == 1
    skipped = {s.path.split("/")[1]: s.reason for s in report.skipped}
    assert len(skipped) == len(reasons)
    for n, (how, needle) in enumerate(reasons.items()):
        assert needle in skipped[f"m{n}"], (how, skipped[f"m{n}"])
    # Refused, not crashed: a second run reads the same files again (nothing was recorded).
    again = _import(context.store, root, write_contents(tmp_path / "c.parquet", rows))
    assert (again.unchanged, len(again.skipped)) == (1, len(reasons))


def test_duplicate_runs_the_latest_wins_and_all_are_kept(context: Context, tmp_path: Path) -> None:
    root = tmp_path / "results"
    old, new = v2_document("org/twice", seed=1), v2_document("org/twice", seed=2, sha="c" * 40)
    write_run(root, "org/twice", T1, old)
    write_run(root, "org/twice", T2, new)
    report = _import(context.store, root, default_type=ModelType.FINE_TUNED)
    # Files are read in path order: the older run first, then the newer replaces it.
    assert (report.imported, report.updated, report.history) == (1, 1, 0)
    [request] = _archived(context.store, "org/twice")
    assert request.revision == "c" * 40
    assert math.isclose(_scores(context.store, request.id)["average"], public_rule(new)["average"])
    runs = context.store.archive.provenance(request.id)
    assert [(r.run_at, r.current) for r in runs] == [(T2, True), (T1, False)]
    assert math.isclose(runs[1].average, public_rule(old)["average"])
    [change] = context.store.scores.history(request.id)
    assert change.kind == "archive" and math.isclose(
        change.old_average or 0, public_rule(old)["average"]
    )
    # An older run arriving later is history only: the shown scores stay the newer run's.
    write_run(root, "org/twice", T1 - timedelta(days=1), v2_document("org/twice", seed=7))
    later = _import(context.store, root, default_type=ModelType.FINE_TUNED)
    assert (later.history, later.unchanged, later.updated) == (1, 2, 0)
    assert math.isclose(_scores(context.store, request.id)["average"], public_rule(new)["average"])
    assert len(context.store.archive.provenance(request.id)) == 3


def test_reimport_updates_exactly_the_changed_rows(context: Context, tmp_path: Path) -> None:
    root = tmp_path / "results"
    files = [write_run(root, f"org/m{n}", T1, v2_document(f"org/m{n}", seed=n)) for n in range(4)]
    first = _import(context.store, root, default_type=ModelType.CHAT, batch_size=3)
    assert first.imported == 4
    events_before = context.store.data_version()
    again = _import(context.store, root, default_type=ModelType.CHAT)
    assert (again.imported, again.updated, again.unchanged) == (0, 0, 4)
    assert context.store.data_version() == events_before  # nothing written at all
    changed = v2_document("org/m2", seed=99)
    files[2].write_text(json.dumps(changed))
    third = _import(context.store, root, default_type=ModelType.CHAT)
    assert (third.updated, third.unchanged) == (1, 3)
    averages = {r.model: r.average for n in range(4) for r in _archived(context.store, f"org/m{n}")}
    assert len(context.store.list_requests()) == 4
    for n in range(4):
        document = changed if n == 2 else v2_document(f"org/m{n}", seed=n)
        assert math.isclose(averages[f"org/m{n}"] or 0, public_rule(document)["average"])
    [m2] = _archived(context.store, "org/m2")
    assert [c.kind for c in context.store.scores.history(m2.id)] == ["archive"]
    assert context.store.scores.history(_archived(context.store, "org/m1")[0].id) == []


def test_a_dry_run_reports_exactly_and_writes_nothing(context: Context, tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_run(root, "org/a", T1, v2_document("org/a", seed=1))
    write_run(root, "org/a", T2, v2_document("org/a", seed=2))
    write_run(root, "org/b", T1, "not json")
    report = _import(context.store, root, default_type=ModelType.CHAT, dry_run=True, batch_size=1)
    assert (report.imported, report.updated, len(report.skipped)) == (1, 1, 1) and report.dry_run
    assert context.store.list_requests() == [] and context.store.archive.known_files(DATASET) == {}


def test_archive_rows_are_no_duplicates_and_use_no_rate_limit(
    context: Context, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    for n in range(3):
        write_run(root, f"org/m{n}", T1, v2_document(f"org/m{n}", seed=n, sha="a" * 40))
    _import(context.store, root, default_type=ModelType.CHAT)
    store = context.store
    admission = Admission(limit=1, window_start=T1 - timedelta(days=7), window_days=7)
    same = new_request(model="org/m0", revision="a" * 40, precision=Precision.BFLOAT16, at=T1)
    assert store.admission_errors(same, admission) == []
    local = store.add_request(same, "alice", admission)
    assert local.origin is Origin.LOCAL and local.status is Status.PENDING
    assert len(store.list_requests("org/m0")) == 2
    # Nor are they checked against the local source, which never held their commits.
    assert store.availability.evaluated_commits("org/m1") == []


def test_contents_disagreements_are_counted_and_check_lists_score_differences(
    context: Context, tmp_path: Path
) -> None:
    root = tmp_path / "results"
    document = v2_document("org/x", seed=4, sha="d" * 40)
    write_run(root, "org/x", T1, document)
    public = public_rule(document)
    row = contents_row(
        "org/x", **{"Model sha": "e" * 40, "Precision": "float16", "Chat Template": False,
                    "IFEval": public["ifeval"], "BBH": public["bbh"] + 0.5,
                    "MATH Lvl 5": public["math"], "GPQA": public["gpqa"] + 0.004,
                    "MUSR": public["musr"], "MMLU-PRO": public["mmlu_pro"],
                    "Average ⬆️": public["average"]},
    )  # fmt: skip
    report = _import(context.store, root, write_contents(tmp_path / "c.parquet", [row]), check=True)
    assert report.imported == 1
    assert {d.field for d in report.disagreements} == {"precision", "commit", "chat template"}
    # The results file wins for what was evaluated.
    [request] = _archived(context.store, "org/x")
    assert (request.revision, request.precision) == ("d" * 40, Precision.BFLOAT16)
    assert [(d.field, d.public) for d in report.score_differences] == [
        ("bbh", f"{public['bbh'] + 0.5:.2f}")
    ]


class StandInHub:
    """The two HfApi calls the Hub import makes, over a local folder in the results layout."""

    def __init__(self, folder: Path, commit: str) -> None:
        self.folder, self.commit, self.calls = folder, commit, 0

    def dataset_info(self, repo_id: str, *, revision: str | None = None) -> Any:
        if repo_id != DATASET:
            url = f"https://huggingface.co/api/datasets/{repo_id}"
            response = httpx2.Response(404, request=httpx2.Request("GET", url))
            raise hub_errors.RepositoryNotFoundError(
                f"404 Client Error. Repository Not Found for url: {url}", response=response
            )
        return type("Info", (), {"sha": revision or self.commit})()

    def snapshot_download(
        self, repo_id: str, *, repo_type: str | None = None, revision: str | None = None,
        allow_patterns: list[str] | str | None = None, local_dir: str | Path | None = None,
    ) -> str:  # fmt: skip
        assert (repo_id, repo_type, revision) == (DATASET, "dataset", self.commit)
        assert local_dir is not None
        self.calls += 1
        shutil.copytree(self.folder, local_dir, dirs_exist_ok=True)
        return str(local_dir)


def test_the_hub_path_imports_like_the_folder_and_records_the_commit(
    context: Context, tmp_path: Path
) -> None:
    published = tmp_path / "published"
    write_run(published, "org/hub", T1, v2_document("org/hub", seed=8))
    hub = StandInHub(published, "9" * 40)
    folder = from_hub(hub, DATASET, None, tmp_path / "cache")
    assert folder.commit == "9" * 40 and hub.calls == 1
    report = import_archive(
        context.store, folder, all_suites(), lambda: NOW, default_type=ModelType.CHAT
    )
    assert report.imported == 1
    [request] = _archived(context.store, "org/hub")
    [origin] = context.store.archive.provenance(request.id)
    assert (origin.source, origin.dataset_commit) == (DATASET, "9" * 40)


def test_cli_reports_counts_and_skipped_files(cli_env: dict[str, str], tmp_path: Path) -> None:
    root = tmp_path / "results"
    write_run(root, "org/cli", T1, v2_document("org/cli", seed=1))
    write_run(root, "org/broken", T1, "[]")
    contents = write_contents(
        tmp_path / "c.parquet", [contents_row("org/cli"), contents_row("org/broken")]
    )
    runner = CliRunner()
    args = ["archive", "import", str(root), "--contents", str(contents)]
    result = runner.invoke(app, args, env=cli_env)
    assert result.exit_code == 0, result.output
    assert "2 files" in result.output and "1 imported" in result.output
    assert "skipped org/broken/results_" in result.output and "no `results` object" in result.output
    again = runner.invoke(app, [*args, "--json"], env=cli_env)
    report = json.loads(again.stdout)
    assert (report["unchanged"], report["imported"], len(report["skipped"])) == (1, 0, 1)
    refused = runner.invoke(app, ["archive", "import"], env=cli_env)
    assert refused.exit_code == 1 and "either a folder or --from-hub" in refused.output


def test_cli_from_hub_fetches_the_dataset_imports_it_and_records_the_commit(
    context: Context, cli_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`archive import --from-hub` end to end, with only the Hub stood in for (it is out of reach
    here): the token from the settings, the snapshot in $OPENBOARD_HOME/archive/, provenance."""
    published = tmp_path / "published"
    write_run(published, "org/hub", T1, v2_document("org/hub", seed=8))
    hub = StandInHub(published, "9" * 40)
    tokens: list[str | None] = []
    monkeypatch.setattr(cli_archive, "hub_client", lambda token: tokens.append(token) or hub)
    contents = write_contents(tmp_path / "c.parquet", [contents_row("org/hub")])
    env = cli_env | {"OPENBOARD_HUB_TOKEN": "hf_stand_in"}
    args = ["archive", "import", "--from-hub", "--contents", str(contents), "--json"]
    runner = CliRunner()
    result = runner.invoke(app, args, env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["imported"] == 1
    assert tokens == ["hf_stand_in"] and hub.calls == 1
    snapshot = Path(cli_env["OPENBOARD_HOME"]) / "archive" / "open-llm-leaderboard--results"
    assert [p.relative_to(snapshot).parts[:2] for p in snapshot.rglob("results_*.json")] == [
        ("org", "hub")
    ]
    [request] = _archived(context.store, "org/hub")
    [origin] = context.store.archive.provenance(request.id)
    assert (origin.source, origin.dataset_commit) == (DATASET, "9" * 40)
    again = runner.invoke(app, args, env=env)
    assert again.exit_code == 0 and json.loads(again.stdout)["unchanged"] == 1
    missing = runner.invoke(app, [*args[:3], "--dataset", "nobody/nothing"], env=env)
    assert missing.exit_code == 1
    assert "the Hub did not give nobody/nothing" in missing.output
    assert len(_archived(context.store, "org/hub")) == 1
