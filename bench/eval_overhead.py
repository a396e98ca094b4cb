"""openboard's worker vs. the `lm-eval` CLI on the same model, tasks, limit and seeds, side by side.

Run: .venv/bin/python bench/eval_overhead.py [--runs 3] [--limit 20]
Each run is a fresh process on both sides (imports and model loading included): openboard's
`openboard worker --once` on a submitted tiny model, and `lm-eval run` with the starter task
folder as --include_path. Prints the median wall times, their ratio, and whether the scores agree.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from openboard.config import Settings
from openboard.demo import TinyModelSpec, write_tiny_model
from openboard.evaluation import STARTER, ensure_punkt_tab, parse_task_scores, prepare_tasks

BIN = Path(sys.executable).parent
SEED = 1234


def _raw(results: dict) -> dict[str, float]:  # type: ignore[type-arg]
    return {s.task: s.raw for s in parse_task_scores(results, STARTER)}


def openboard_run(home: Path, models: Path, limit: int) -> tuple[float, dict[str, float]]:
    env = {**os.environ, "OPENBOARD_HOME": str(home), "OPENBOARD_MODELS": str(models),
           "OPENBOARD_EVAL_LIMIT": str(limit), "OPENBOARD_SEED": str(SEED), "OPENBOARD_EVAL_BATCH_SIZE": "8"}  # fmt: skip
    subprocess.run(
        [BIN / "openboard", "submit", "bench/tiny", "--model-type", "pretrained"],
        env=env,
        check=True,
        capture_output=True,
    )
    started = time.perf_counter()
    subprocess.run(
        [BIN / "openboard", "worker", "--once"], env=env, check=True, capture_output=True
    )
    wall = time.perf_counter() - started
    results = json.loads((home / "artifacts" / "1" / "results.json").read_text())
    return wall, _raw(results)


def cli_run(model: Path, include: Path, out: Path, limit: int) -> tuple[float, dict[str, float]]:
    command = [
        BIN / "lm-eval", "run", "--model", "hf", "--model_args", f"pretrained={model},dtype=bfloat16",
        "--tasks", ",".join(STARTER.task_names), "--include_path", str(include), "--batch_size", "8",
        "--device", "cpu", "--limit", str(limit), "--seed", str(SEED), "--output_path", str(out),
    ]  # fmt: skip
    # IFEval's checkers need punkt_tab; the CLI would try to download it.
    nltk_data = out.parent / "nltk_data"
    ensure_punkt_tab(nltk_data)
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "HF_DATASETS_OFFLINE": "1",
        "NLTK_DATA": str(nltk_data),
    }
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, capture_output=True)
    wall = time.perf_counter() - started
    (result_file,) = out.rglob("results_*.json")
    results = json.loads(result_file.read_text())
    return wall, _raw(results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        models = root / "models"
        write_tiny_model(models / "bench" / "tiny", TinyModelSpec(seed=1))
        include = prepare_tasks(STARTER, Settings(home=root / "shared-home").tasks_dir)
        ours, theirs = [], []
        agree = True
        for run in range(args.runs):
            wall_ours, scores_ours = openboard_run(root / f"home-{run}", models, args.limit)
            wall_cli, scores_cli = cli_run(
                models / "bench" / "tiny", include, root / f"cli-{run}", args.limit
            )
            agree = agree and scores_ours == scores_cli
            ours.append(wall_ours)
            theirs.append(wall_cli)
            print(
                f"run {run + 1}: openboard {wall_ours:.1f} s, lm-eval CLI {wall_cli:.1f} s",
                flush=True,
            )
    print(f"openboard_worker_seconds: {median(ours):.2f}")
    print(f"lm_eval_cli_seconds: {median(theirs):.2f}")
    print(f"ratio_openboard_over_cli: {median(ours) / median(theirs):.2f}")
    print(f"scores_identical: {agree}")


if __name__ == "__main__":
    main()
