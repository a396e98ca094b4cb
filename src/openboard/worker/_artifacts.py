"""What a finished evaluation leaves on disk: lm-eval's results, per-sample outputs, a reproducibility record."""

import gzip
import json
import os
import platform
import shlex
from dataclasses import asdict
from pathlib import Path
from typing import Any

from openboard import __version__
from openboard.domain import WeightType
from openboard.evaluation import Backend, EvaluationOutput, EvaluationSpec
from openboard.store import EvalRequest

ARTIFACT_SCHEMA_VERSION = 2  # 2: the suite's data pins and the data's provenance
_OPENBOARD_LM_EVAL = ("python", "-m", "openboard.evaluation.lm_eval_cli")


def reproduction_command(request: EvalRequest, spec: EvaluationSpec, include_path: Path) -> str:
    """The `lm-eval` command line that reproduces this run on the same model files."""
    args = {k: v for k, v in spec.model_args().items() if k != "trust_remote_code"}
    if request.weight_type is WeightType.ORIGINAL:
        args.pop("pretrained")  # the local checkout: name the model and its commit instead
        args = {"pretrained": request.model, "revision": request.revision} | args
    # Otherwise lm-eval takes one revision for base and adapter alike: name the exact checkouts.
    model_args = ",".join(f"{key}={value}" for key, value in args.items())
    backend = spec.backend()
    # lm-eval's own command line knows `hf` and `vllm`; `openboard-hf` is registered by openboard's.
    program = ["lm-eval"] if backend is not Backend.OPENBOARD else [*_OPENBOARD_LM_EVAL]
    parts = [
        *program, "--model", backend.lm_eval_model, "--model_args", model_args,
        "--tasks", ",".join(spec.suite.task_names), "--include_path", str(include_path),
        "--batch_size", spec.batch_size, "--seed", str(spec.seed),
    ]  # fmt: skip
    if spec.limit is not None:
        parts += ["--limit", str(spec.limit)]
    if spec.apply_chat_template:
        parts += ["--apply_chat_template", "--fewshot_as_multiturn"]
    return shlex.join(parts)


def write_artifacts(
    folder: Path,
    request: EvalRequest,
    spec: EvaluationSpec,
    output: EvaluationOutput,
    include_path: Path,
    co2_kg: float,
    datasets: dict[str, Any] | None = None,
) -> None:
    """`datasets`: the benchmark data's provenance (the mirror's lock, re-checked), for suites
    that read the mirror."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "results.json").write_text(json.dumps(output.results, indent=2, default=str))
    with gzip.open(folder / "samples.jsonl.gz", "wt", encoding="utf-8") as stream:
        for task, samples in output.samples.items():
            for sample in samples:
                stream.write(json.dumps({"task": task, **sample}, default=str) + "\n")
    record: dict[str, Any] = {
        "schema_version": ARTIFACT_SCHEMA_VERSION,
        "request_id": request.id,
        "model": request.model,
        "revision": request.revision,
        "weight_type": request.weight_type.value,
        "base_model": request.base_model,
        "base_revision": request.base_revision,
        "pin": request.pin.value,
        "precision": request.precision.value,
        "suite": {
            "name": spec.suite.name,
            "version": spec.suite.version,
            "tasks": spec.suite.task_names,
            "data": [
                {"benchmark": d.benchmark, "repository": d.repo_id, "revision": d.revision}
                for d in spec.suite.data
            ],
        },
        "limit": spec.limit,
        "seed": spec.seed,
        "batch_size": spec.batch_size,
        "device": spec.device,
        "backend": spec.backend().value,
        "apply_chat_template": spec.apply_chat_template,
        # bitsandbytes settings (8bit, 4bit), passed to from_pretrained as its quantization_config.
        "quantization": spec.quantization(),
        "versions": {"openboard": __version__, **output.versions},
        "hardware": _hardware(spec.device),
        "wall_seconds": output.wall_seconds,
        "co2_kg": co2_kg,
        "command": reproduction_command(request, spec, include_path),
        "scorer": output.scores.scorer,
        "scores": [asdict(s) for s in output.scores.task_scores],
    }
    if datasets is not None:
        record["datasets"] = datasets
    if output.efficiency is not None:
        # What the run cost (tokens, tokens/s, peak memory, device-hours, MFU on a GPU).
        record["efficiency"] = asdict(output.efficiency)
    (folder / "reproducibility.json").write_text(json.dumps(record, indent=2))


def _hardware(device: str) -> dict[str, Any]:
    import torch

    hardware: dict[str, Any] = {
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "device": device,
    }
    if device.startswith("cuda") and torch.cuda.is_available():
        hardware["gpus"] = [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
    return hardware
