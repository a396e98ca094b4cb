"""What an evaluation cost: tokens, time, memory, device-hours, FLOPs utilization.

A `TokenMeter` counts the tokens the model's forward passes run over (padding included: what the
hardware computed), split into prompt and generated tokens; the record is then pure arithmetic.
"""

import resource
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

EFFICIENCY_SCHEMA_VERSION = 1

# Dense bfloat16/float16 tensor peak of one device, TFLOP/s (vendors' data sheets, no sparsity).
PEAK_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L40": 181.0,
    "L4": 121.0,
    "A10": 125.0,
    "V100": 125.0,
    "T4": 65.0,
    "RTX 4090": 165.0,
}


def peak_tflops(device_name: str) -> float | None:
    """The peak of a GPU by its CUDA name ("NVIDIA H200" → 989), None when unknown."""
    for model in sorted(PEAK_TFLOPS, key=len, reverse=True):
        if model in device_name:
            return PEAK_TFLOPS[model]
    return None


@dataclass(frozen=True, slots=True)
class Efficiency:
    """One evaluation's cost. GPU figures are None on a CPU."""

    device: str  # the torch device it ran on: cpu, cuda, cuda:1
    device_name: str  # "NVIDIA H200", or the CPU's architecture
    devices: int  # GPUs one model used (1 on a CPU: the machine)
    backend: str
    wall_seconds: float
    prompt_tokens: int
    generated_tokens: int
    tokens_per_second: float
    peak_memory_bytes: int  # torch.cuda.max_memory_allocated on a GPU, peak RSS on a CPU
    peak_memory_kind: str
    device_hours: float
    gpu_hours: float | None
    mfu: float | None  # 2 × parameters × tokens / (wall × devices × peak)
    parameters: int
    phase_seconds: dict[str, float] = field(default_factory=dict)
    schema_version: int = EFFICIENCY_SCHEMA_VERSION


class TokenMeter:
    """Counts forward-pass tokens on a transformers model, and times lm-eval's request phases."""

    def __init__(self) -> None:
        self.prompt_tokens = 0
        self.generated_tokens = 0
        self.phase_seconds: dict[str, float] = {}
        self._generating = False

    def attach(self, lm: Any) -> None:
        model = getattr(lm, "model", None)
        if model is not None and hasattr(model, "register_forward_pre_hook"):
            model.register_forward_pre_hook(self._count, with_kwargs=True)
            model.generate = self._generation(model.generate)
        for phase in ("loglikelihood", "loglikelihood_rolling", "generate_until"):
            setattr(lm, phase, self._timed(phase, getattr(lm, phase)))

    def _count(self, _module: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        ids = kwargs.get("input_ids", args[0] if args else None)
        if ids is None:
            return
        cached = kwargs.get("cache", kwargs.get("past_key_values"))
        # In generation, each step after the first runs the new token of every row over the cache.
        if self._generating and cached is not None and cached.get_seq_length() > 0:
            self.generated_tokens += int(ids.numel())
        else:
            self.prompt_tokens += int(ids.numel())

    def _generation(self, generate: Callable[..., Any]) -> Callable[..., Any]:
        def generating(*args: Any, **kwargs: Any) -> Any:
            self._generating = True
            try:
                return generate(*args, **kwargs)
            finally:
                self._generating = False

        return generating

    def _timed(self, phase: str, method: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - started
                self.phase_seconds[phase] = self.phase_seconds.get(phase, 0.0) + elapsed

        return timed


def peak_rss_bytes() -> int:
    """This process's peak resident memory (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def efficiency(
    meter: TokenMeter,
    *,
    device: str,
    device_name: str,
    devices: int,
    backend: str,
    wall_seconds: float,
    parameters: int,
    peak_memory_bytes: int,
) -> Efficiency:
    on_gpu = device.startswith("cuda")
    tokens = meter.prompt_tokens + meter.generated_tokens
    hours = wall_seconds / 3600
    peak = peak_tflops(device_name) if on_gpu else None
    mfu = (
        2 * parameters * tokens / (wall_seconds * devices * peak * 1e12)
        if peak and wall_seconds > 0
        else None
    )
    return Efficiency(
        device=device,
        device_name=device_name,
        devices=devices,
        backend=backend,
        wall_seconds=wall_seconds,
        prompt_tokens=meter.prompt_tokens,
        generated_tokens=meter.generated_tokens,
        tokens_per_second=tokens / wall_seconds if wall_seconds > 0 else 0.0,
        peak_memory_bytes=peak_memory_bytes,
        peak_memory_kind="cuda_max_memory_allocated" if on_gpu else "peak_rss",
        device_hours=hours * devices,
        gpu_hours=hours * devices if on_gpu else None,
        mfu=mfu,
        parameters=parameters,
        phase_seconds=dict(meter.phase_seconds),
    )


__all__ = [
    "EFFICIENCY_SCHEMA_VERSION",
    "PEAK_TFLOPS",
    "Efficiency",
    "TokenMeter",
    "efficiency",
    "peak_rss_bytes",
    "peak_tflops",
]
