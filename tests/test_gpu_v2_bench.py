"""bench/gpu_v2.py, prepared for the minutes a GPU is at hand, runs on the CPU with --limit."""

from pathlib import Path

import pytest

from .bench_runs import run_bench
from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database in it: the SQLite pass runs it"
)


def test_gpu_v2_runs_both_backends_on_the_cpu(shared_data: Path, model_library: Path) -> None:
    tiny = model_library / "demo" / "tiny"
    _, figures = run_bench("gpu_v2.py", "--cpu", "--limit", "1", "--data", str(shared_data),
                           "--model", str(tiny), timeout=1800)  # fmt: skip
    assert figures["scores_identical"] == 1 and figures["documents_differing"] == 0
    assert figures["documents"] > 30  # every v2 task, generation included
    assert figures["hf_tokens_per_s"] > 0 and figures["openboard_tokens_per_s"] > 0
    assert figures["openboard_tokens_vs_minimum"] < figures["hf_tokens_vs_minimum"]
    assert "openboard_mfu" not in figures  # no peak to measure against on a CPU
