"""The lm-evaluation-harness adapter: run a suite on a model folder, return lm-eval's output and typed scores."""

import importlib.util
import json
import os
import platform
import random
import time
from contextlib import nullcontext
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

from openboard.domain import Precision, WeightType
from openboard.evaluation._backend import Backend, BackendSetting, choose_backend
from openboard.evaluation._efficiency import Efficiency, TokenMeter, efficiency, peak_rss_bytes
from openboard.evaluation._errors import EvaluationError, ModelLoadError, UnsupportedPrecisionError
from openboard.evaluation._math_verify import judge_answers
from openboard.evaluation._nltk import ensure_punkt_tab
from openboard.evaluation._progress import ProgressCallback, report_progress
from openboard.evaluation._scoring import SuiteScores, score_suite
from openboard.evaluation._suites import Suite
from openboard.evaluation._tasks import prepare_tasks

# Every evaluation runs offline: nothing may wait on, or silently read from, the network.
OFFLINE_ENVIRONMENT = {
    "HF_HUB_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
}

_DTYPES = {Precision.FLOAT16: "float16", Precision.BFLOAT16: "bfloat16"}


def vllm_installed() -> bool:
    return importlib.util.find_spec("vllm") is not None


@dataclass(frozen=True, slots=True)
class EvaluationSpec:
    """Everything that determines a score; the reproducibility record is built from it."""

    model_path: Path
    precision: Precision
    suite: Suite
    tasks_dir: Path
    apply_chat_template: bool = False
    limit: int | None = None
    batch_size: str = "auto"
    device: str = "cpu"
    seed: int = 1234
    nltk_data: Path | None = None  # where IFEval's punkt_tab is written; default: beside tasks_dir
    weight_type: WeightType = WeightType.ORIGINAL
    base_path: Path | None = None  # an Adapter's or Delta's base model
    offline: bool = True  # never wait on, or silently read from, the Hugging Face Hub
    backend_setting: BackendSetting = BackendSetting.HF
    tensor_parallel_size: int = 1  # vLLM: GPUs one model is split over
    gpu_memory_utilization: float = 0.9  # vLLM: share of GPU memory it may take

    def backend(self) -> Backend:
        return choose_backend(
            self.backend_setting, self.device, self.precision, self.weight_type, vllm_installed()
        )

    def model_args(self) -> dict[str, Any]:
        """lm-eval's model arguments for the chosen backend (JSON values: they also go into the
        reproduction record)."""
        backend = self.backend()
        self._check_quantization_support(backend)
        # Quantized weights compute in float16, as on the public leaderboard.
        dtype = _DTYPES.get(self.precision, "float16")
        args: dict[str, Any] = {"dtype": dtype, "trust_remote_code": False}
        if self.weight_type is not WeightType.ORIGINAL and self.base_path is None:
            raise EvaluationError(
                f"a {self.weight_type} evaluation needs its base model's files",
                "resubmit with --base-model",
            )
        if backend is Backend.VLLM:
            return self._vllm_args(args)
        if self.weight_type is WeightType.ORIGINAL:
            return {"pretrained": str(self.model_path), **args}
        if self.weight_type is WeightType.DELTA:
            return {"pretrained": str(self.base_path), "delta": str(self.model_path), **args}
        return {
            "pretrained": str(self.base_path),
            "peft": str(self.model_path),
            "tokenizer": str(self._adapter_tokenizer()),
            **args,
        }

    def _vllm_args(self, common: dict[str, Any]) -> dict[str, Any]:
        # GPTQ needs no argument: vLLM reads quantization_config and picks its fastest kernel.
        args = {
            **common,
            "tensor_parallel_size": self.tensor_parallel_size,
            "gpu_memory_utilization": self.gpu_memory_utilization,
            "seed": self.seed,
        }
        if self.weight_type is WeightType.ORIGINAL:
            return {"pretrained": str(self.model_path), **args}
        return {
            "pretrained": str(self.base_path),
            "lora_local_path": str(self.model_path),
            "max_lora_rank": self._adapter_rank(),
            "tokenizer": str(self._adapter_tokenizer()),
            **args,
        }

    def _adapter_tokenizer(self) -> Path:
        # An adapter that added tokens ships its own tokenizer; otherwise the base's is the one.
        ships_tokenizer = (self.model_path / "tokenizer_config.json").is_file()
        if ships_tokenizer or self.base_path is None:  # no base: model_args refused it already
            return self.model_path
        return self.base_path

    def _adapter_rank(self) -> int:
        """The LoRA rank vLLM must reserve room for (its default, 16, refuses larger adapters)."""
        config = self.model_path / "adapter_config.json"
        try:
            rank = json.loads(config.read_text())["r"]
        except (OSError, ValueError, KeyError) as exc:
            raise ModelLoadError(
                f"the adapter's {config.name} has no readable LoRA rank `r`: {exc}",
                "upload the adapter_config.json that peft wrote with the adapter",
            ) from exc
        if not isinstance(rank, int) or rank < 1:
            raise ModelLoadError(
                f"the adapter's LoRA rank `r` is {rank!r}, not a positive integer",
                "upload the adapter_config.json that peft wrote with the adapter",
            )
        return rank

    def _check_quantization_support(self, backend: Backend) -> None:
        if self.precision in _DTYPES:
            return
        if not self.device.startswith("cuda"):
            raise UnsupportedPrecisionError(
                f"precision {self.precision} needs a GPU worker (bitsandbytes or GPTQ kernels); "
                f"this worker evaluates on {self.device}",
                "run a worker on a GPU machine (OPENBOARD_EVAL_DEVICE=cuda), or submit in float16 or bfloat16",
            )
        if self.weight_type is not WeightType.ORIGINAL and self.precision is not Precision.GPTQ:
            raise UnsupportedPrecisionError(
                f"precision {self.precision} is evaluated for Original weights only",
                "submit the merged model, or the adapter in float16 or bfloat16",
            )
        if backend is Backend.VLLM:  # GPTQ kernels are part of vLLM
            return
        needed = ("gptqmodel",) if self.precision is Precision.GPTQ else ("bitsandbytes",)
        if not any(importlib.util.find_spec(name) for name in needed):
            raise UnsupportedPrecisionError(
                f"precision {self.precision} needs the {needed[0]} package on the worker",
                f"pip install {needed[0]} on the GPU workers, or submit in float16 or bfloat16",
            )

    def quantization(self) -> dict[str, Any] | None:
        """bitsandbytes settings for 8bit and 4bit; GPTQ checkpoints carry their own in config.json."""
        if self.precision is Precision.INT8:
            return {"load_in_8bit": True}
        if self.precision is Precision.INT4:
            return {"load_in_4bit": True, "bnb_4bit_compute_dtype": "float16"}
        return None


@dataclass(frozen=True)
class EvaluationOutput:
    results: dict[str, Any]
    samples: dict[str, list[dict[str, Any]]]
    scores: SuiteScores
    wall_seconds: float
    versions: dict[str, str] = field(default_factory=dict)
    efficiency: Efficiency | None = None


def _quantized_model(spec: EvaluationSpec, model_args: dict[str, Any]) -> Any:
    """8bit/4bit: the model is loaded with its bitsandbytes config and handed to lm-eval, whose own
    `hf` arguments pass a quantization config only from config.json."""
    import torch
    from lm_eval.api.registry import get_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, BitsAndBytesConfig

    settings = dict(spec.quantization() or {})
    if "bnb_4bit_compute_dtype" in settings:
        settings["bnb_4bit_compute_dtype"] = getattr(torch, settings["bnb_4bit_compute_dtype"])
    model = AutoModelForCausalLM.from_pretrained(
        model_args["pretrained"],
        quantization_config=BitsAndBytesConfig(**settings),  # type: ignore[no-untyped-call]
        dtype=getattr(torch, model_args["dtype"]),
        device_map={"": spec.device},
        trust_remote_code=False,
    )
    tokenizer = AutoTokenizer.from_pretrained(model_args["pretrained"], trust_remote_code=False)
    return get_model(spec.backend().lm_eval_model)(
        pretrained=model, tokenizer=tokenizer, batch_size=spec.batch_size, device=spec.device
    )


def run_evaluation(
    spec: EvaluationSpec, progress: ProgressCallback | None = None
) -> EvaluationOutput:
    """Run lm-eval's `simple_evaluate` on the suite's tasks only, then score its output."""
    if spec.offline:
        os.environ.update(OFFLINE_ENVIRONMENT)
    ensure_punkt_tab(spec.nltk_data or spec.tasks_dir.parent / "nltk_data")
    import lm_eval
    import torch
    import transformers
    from lm_eval.api.registry import get_model
    from lm_eval.tasks import TaskManager

    # Registers `openboard-hf` with lm-eval's model registry (in this, the evaluation process).
    from openboard.evaluation import _shared_context  # noqa: F401

    include_path = prepare_tasks(spec.suite, spec.tasks_dir)
    backend = spec.backend()
    model_args = spec.model_args()
    # Only openboard's own task folder is indexed: lm-eval's 14,000 defaults take seconds to scan.
    task_manager = TaskManager(include_path=str(include_path), include_defaults=False)
    started = time.perf_counter()
    # The model is built here, exactly as simple_evaluate would build it from the same arguments,
    # so that a model that cannot load is told apart from a harness that breaks later.
    try:
        lm = (
            _quantized_model(spec, model_args)
            if spec.quantization() is not None
            else get_model(backend.lm_eval_model).create_from_arg_obj(
                model_args,
                {"batch_size": spec.batch_size, "max_batch_size": None}
                | ({"device": spec.device} if backend.uses_transformers else {}),
            )
        )
    except (MemoryError, torch.OutOfMemoryError):
        raise
    except Exception as exc:
        first_line = next(iter(str(exc).strip().splitlines()), "")[:400]
        raise ModelLoadError(
            f"the model did not load: {type(exc).__name__}: {first_line}",
            "load it yourself with AutoModelForCausalLM.from_pretrained(path, trust_remote_code=False)",
        ) from exc
    meter = TokenMeter()
    meter.attach(lm)
    on_gpu = spec.device.startswith("cuda") and torch.cuda.is_available()
    if on_gpu:
        torch.cuda.reset_peak_memory_stats()
    random.seed(spec.seed)
    with report_progress(progress) if progress else nullcontext():
        results = lm_eval.simple_evaluate(
            model=lm,
            tasks=spec.suite.task_names,
            task_manager=task_manager,
            limit=spec.limit,
            log_samples=True,
            apply_chat_template=spec.apply_chat_template,
            fewshot_as_multiturn=spec.apply_chat_template,
            random_seed=spec.seed,
            numpy_random_seed=spec.seed,
            torch_random_seed=spec.seed,
            fewshot_random_seed=spec.seed,
        )
    wall = time.perf_counter() - started
    if results is None:  # only on non-zero ranks of a distributed run, which openboard never starts
        raise EvaluationError("lm-eval returned no results", "see the evaluation log")
    samples = results.pop("samples", {})
    record = efficiency(
        meter,
        device=spec.device,
        device_name=torch.cuda.get_device_name(spec.device) if on_gpu else platform.machine(),
        devices=spec.tensor_parallel_size if backend is Backend.VLLM else 1,
        backend=backend.value,
        wall_seconds=wall,
        parameters=_parameters(lm),
        peak_memory_bytes=torch.cuda.max_memory_allocated() if on_gpu else peak_rss_bytes(),
    )
    return EvaluationOutput(
        results=results,
        samples=samples,
        scores=score_suite(results, spec.suite, samples, judge_answers),
        wall_seconds=wall,
        versions={
            "lm_eval": version("lm_eval"),
            "transformers": transformers.__version__,
            "torch": torch.__version__,
            **({"vllm": version("vllm")} if backend is Backend.VLLM else {}),
        },
        efficiency=record,
    )


def _parameters(lm: Any) -> int:
    model = getattr(lm, "model", None)
    parameters = getattr(model, "parameters", None)
    return sum(p.numel() for p in parameters()) if callable(parameters) else 0
