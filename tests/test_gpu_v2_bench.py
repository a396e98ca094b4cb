"""bench/gpu_v2.py, prepared for the minutes a GPU is at hand, runs on the CPU with --limit."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import POSTGRES_SERVER

BENCH = Path(__file__).resolve().parents[1] / "bench" / "gpu_v2.py"
pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database in it: the SQLite pass runs it"
)


def test_gpu_v2_runs_both_backends_on_the_cpu(shared_data: Path, model_library: Path) -> None:
    tiny = model_library / "demo" / "tiny"
    command = [sys.executable, str(BENCH), "--cpu", "--limit", "1", "--data", str(shared_data)]
    done = subprocess.run(
        [*command, "--model", str(tiny)], capture_output=True, text=True, timeout=1800,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {}
    for line in done.stdout.splitlines():  # the `name: value` lines the bench ends with
        name, _, value = line.partition(": ")
        if name.replace("_", "").isalnum() and value.replace(".", "").replace("e-", "").isdigit():
            figures[name] = float(value)
    assert figures["scores_identical"] == 1 and figures["documents_differing"] == 0
    assert figures["documents"] > 30  # every v2 task, generation included
    assert figures["hf_tokens_per_s"] > 0 and figures["openboard_tokens_per_s"] > 0
    assert figures["openboard_tokens_vs_minimum"] < figures["hf_tokens_vs_minimum"]
    assert "openboard_mfu" not in figures  # no peak to measure against on a CPU
