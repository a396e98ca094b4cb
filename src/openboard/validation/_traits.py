"""What a model is, derived from its metadata: true parameter count, license, merged, MoE."""

import re
from dataclasses import dataclass
from typing import Any

from openboard.sources import ModelSnapshot
from openboard.validation._card import parse_card

# Checkpoints that pack several low-bit weights into one int32: the header counts int32 elements.
PACKED_QUANT_METHODS = frozenset({"gptq", "awq"})
_QUANT_AUXILIARY = (".qzeros", ".scales", ".g_idx")
_MERGE_TAGS = frozenset({"merge", "moerge", "mergekit", "lazymergekit"})
_MOE_CONFIG_KEYS = ("num_local_experts", "num_experts", "n_routed_experts", "moe_num_experts")
_MOE_NAME = re.compile(r"(?:^|[^a-z])(?:moe|mixtral)(?:[^a-z]|$)|\d+x\d+b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ModelTraits:
    license: str | None
    merged: bool
    moe: bool


def quantization_config(snapshot: ModelSnapshot) -> dict[str, Any] | None:
    value = (snapshot.config or {}).get("quantization_config")
    return value if isinstance(value, dict) else None


def quantization_bits(snapshot: ModelSnapshot) -> int | None:
    bits = (quantization_config(snapshot) or {}).get("bits")
    return bits if isinstance(bits, int) and not isinstance(bits, bool) and bits > 0 else None


def count_parameters(snapshot: ModelSnapshot) -> int | None:
    """Parameters from the safetensors headers; packed GPTQ/AWQ weights are unpacked by their bit width.

    The public site multiplied a GPTQ header count by 8; the quantization config says exactly how
    many weights each int32 holds, and the scales, zeros and group indices are not parameters.
    """
    if not snapshot.safetensors or snapshot.safetensors_errors:
        return None
    method = str((quantization_config(snapshot) or {}).get("quant_method", "")).lower()
    bits = quantization_bits(snapshot)
    if method not in PACKED_QUANT_METHODS or bits is None or 32 % bits:
        return snapshot.param_count
    total = 0
    for header in snapshot.safetensors.values():
        for tensor in header.tensors:
            if tensor.name.endswith(_QUANT_AUXILIARY):
                continue
            if tensor.name.endswith(".qweight") and tensor.dtype == "I32":
                total += tensor.numel * (32 // bits)
            else:
                total += tensor.numel
    return total


def model_traits(snapshot: ModelSnapshot) -> ModelTraits:
    """License from the card; merged from the card's tags or text; MoE from the name or the config."""
    metadata, text, _ = parse_card(snapshot.card or "")
    metadata = metadata or {}
    license_value = metadata.get("license")
    if license_value in (None, "", "other") and metadata.get("license_name"):
        license_value = metadata["license_name"]
    tags = metadata.get("tags") or []
    tag_set = {str(t).lower() for t in tags} if isinstance(tags, list) else set()
    merged = bool(tag_set & _MERGE_TAGS) or "merged model" in text.lower()
    config = snapshot.config or {}
    experts = [config.get(key) for key in _MOE_CONFIG_KEYS]
    moe = bool(_MOE_NAME.search(snapshot.model_id.name)) or any(
        isinstance(n, int) and n > 1 for n in experts
    )
    return ModelTraits(
        license=str(license_value) if license_value else None, merged=merged, moe=moe
    )
