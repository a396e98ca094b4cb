"""Running a benchmark of bench/ as a user would, offline, and reading the headline figures it
ends with (one `name: value` line each)."""

import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench"


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def run_bench(
    script: str, *args: str, timeout: int
) -> tuple[subprocess.CompletedProcess[str], dict[str, float]]:
    """`bench/<script>` with `args` (no Hub: offline), its output and its figures; it must
    exit 0."""
    done = subprocess.run(
        [sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
        timeout=timeout, env={**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = {}
    for line in done.stdout.splitlines():
        name, _, value = line.partition(": ")
        number = _number(value)
        if number is not None and name.replace("_", "").replace(".", "").isalnum():
            figures[name] = number
    return done, figures
