"""Which lm-eval model backend runs a request: `hf` (transformers), `openboard` (transformers,
each shared context scored once) or `vllm`.

The choice is a pure function of the setting, the worker's device, the request and whether vLLM is
installed, so that it can be tested without a GPU and recorded with the scores.
"""

from enum import StrEnum

from openboard.domain import Precision, WeightType
from openboard.evaluation._errors import UnsupportedBackendError


class Backend(StrEnum):
    HF = "hf"
    OPENBOARD = "openboard"
    VLLM = "vllm"

    @property
    def lm_eval_model(self) -> str:
        """The name lm-eval's model registry knows it by."""
        return "openboard-hf" if self is Backend.OPENBOARD else self.value

    @property
    def uses_transformers(self) -> bool:
        return self is not Backend.VLLM


class BackendSetting(StrEnum):
    HF = "hf"
    OPENBOARD = "openboard"
    VLLM = "vllm"
    AUTO = "auto"  # vllm where it can run the request, openboard otherwise


# vLLM loads half-precision and GPTQ checkpoints; bitsandbytes 8bit/4bit stay with transformers,
# as on the public leaderboard. It cannot add a delta to base weights.
_VLLM_PRECISIONS = frozenset({Precision.FLOAT16, Precision.BFLOAT16, Precision.GPTQ})
_VLLM_WEIGHTS = frozenset({WeightType.ORIGINAL, WeightType.ADAPTER})


def vllm_blocker(
    device: str, precision: Precision, weight_type: WeightType, vllm_installed: bool
) -> str | None:
    """Why vLLM cannot run this request on this worker, or None when it can."""
    if not device.startswith("cuda"):
        return f"vLLM needs a GPU; this worker evaluates on {device}"
    if not vllm_installed:
        return "the vllm package is not installed on this worker"
    if precision not in _VLLM_PRECISIONS:
        return f"vLLM is not used for {precision} weights (bitsandbytes runs through transformers)"
    if weight_type not in _VLLM_WEIGHTS:
        return f"vLLM cannot apply {weight_type} weights to their base model"
    return None


def choose_backend(
    setting: BackendSetting,
    device: str,
    precision: Precision,
    weight_type: WeightType,
    vllm_installed: bool,
) -> Backend:
    if setting is BackendSetting.HF:
        return Backend.HF
    if setting is BackendSetting.OPENBOARD:
        return Backend.OPENBOARD
    blocker = vllm_blocker(device, precision, weight_type, vllm_installed)
    if blocker is None:
        return Backend.VLLM
    if setting is BackendSetting.AUTO:
        return Backend.OPENBOARD
    raise UnsupportedBackendError(
        f"the worker is set to evaluate with vLLM, but {blocker}",
        "set eval_backend to auto (vLLM where it can, transformers otherwise), openboard or hf, "
        "or install "
        "vllm on a GPU worker",
    )
