"""bench/contamination.py --suite v2 on the real v2 data: one evaluation per benchmark at its own
limit, then the contamination stage with the default settings; no GPQA text in what it prints."""

import csv
import io
import zipfile
from pathlib import Path

import pytest

from openboard.evaluation._datasets import GPQA_ZIP_PASSWORD

from .bench_runs import run_bench
from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database in it: the SQLite pass runs it"
)


def _gpqa_questions(data: Path) -> list[str]:
    with zipfile.ZipFile(data / "gpqa" / "dataset.zip") as zipped:
        text = zipped.read("dataset/gpqa_main.csv", pwd=GPQA_ZIP_PASSWORD).decode()
    return [row["Question"].strip() for row in csv.DictReader(io.StringIO(text))]


def test_v2_reports_each_benchmark_and_hides_gpqa(shared_data: Path) -> None:
    done, figures = run_bench(
        "contamination.py", "--suite", "v2", "--data", str(shared_data), "--models", "tiny",
        "--seeds", "0", "--limits", "mmlu_pro=40,gpqa=1", "--budget", "1", timeout=1200,
    )  # fmt: skip
    # 40 MMLU-Pro documents pay for the 5 shards of 5 the test needs at least when the probe may
    # cost as much as the evaluation (the default 10% needs about 340: the bench reports it).
    assert figures["tiny_mmlu_pro_shards"] >= 5 and 0 <= figures["tiny_mmlu_pro_p"] <= 1
    assert figures["tiny_probe_over_eval"] > 0 and figures["tiny_eval_seconds"] > 0
    # GPQA: one document per task is too few for a shard; the line says so and what it needs.
    gpqa = next(line for line in done.stdout.splitlines() if line.strip().startswith("gpqa "))
    assert "no p-value" in gpqa and "needs about" in gpqa and figures["tiny_gpqa_shards"] == 0
    printed = done.stdout + done.stderr
    leaked = [q for q in _gpqa_questions(shared_data) if len(q) > 40 and q[:40] in printed]
    assert not leaked
