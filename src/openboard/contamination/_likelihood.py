"""Log-likelihoods of concatenated example sequences under a causal language model: the model I/O
of the contamination test (transformers, safetensors weights only, never remote code)."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from openboard.domain import Precision
from openboard.evaluation import ModelLoadError, UnsupportedPrecisionError

__all__ = ["OrderScorer", "Tokenized"]

# The evaluation's own compute dtypes (quantized weights are not probed: see `OrderScorer.load`).
_DTYPES = {Precision.FLOAT16: "float16", Precision.BFLOAT16: "bfloat16"}


@dataclass(frozen=True, slots=True)
class Tokenized:
    tokens: tuple[tuple[int, ...], ...]  # per example, truncated to `max_example_tokens`
    truncated: int  # how many examples were cut


class OrderScorer:
    """One model, loaded once, scoring token sequences; the same device and dtype as the evaluation."""

    def __init__(self, model: Any, tokenizer: Any, device: str, batch_size: int) -> None:
        self._model = model
        self._tokenizer = tokenizer
        self._device = device
        self._batch_size = batch_size
        bos = tokenizer.bos_token_id
        self._prefix: tuple[int, ...] = () if bos is None else (int(bos),)

    @classmethod
    def load(
        cls, model_path: Path, precision: Precision, device: str, batch_size: int = 8
    ) -> "OrderScorer":
        import torch
        from transformers import AutoModelForCausalLM, AutoTokenizer

        if precision not in _DTYPES:
            raise UnsupportedPrecisionError(
                f"the contamination test reads full-precision weights; {precision} is not probed",
                "turn the contamination stage off for quantized submissions",
            )
        if not any(model_path.glob("*.safetensors")):
            raise ModelLoadError(
                f"{model_path.name} has no .safetensors weights; the contamination test loads no others",
                "publish the weights as safetensors",
            )
        options: dict[str, Any] = {"trust_remote_code": False, "local_files_only": True}
        try:
            tokenizer = AutoTokenizer.from_pretrained(model_path, **options)
            model = AutoModelForCausalLM.from_pretrained(
                model_path,
                dtype=getattr(torch, _DTYPES[precision]),
                use_safetensors=True,
                **options,
            )
        except (OSError, ValueError) as exc:
            raise ModelLoadError(
                f"the contamination test could not load the model: {exc}",
                "check that the evaluated checkout loads with transformers",
            ) from exc
        cast(Any, model).to(device).eval()
        return cls(model, tokenizer, device, batch_size)

    @property
    def context_length(self) -> int:
        config = self._model.config
        return int(getattr(config, "max_position_embeddings", None) or 2048)

    def tokenize(self, texts: Sequence[str], max_example_tokens: int) -> Tokenized:
        """Each example on its own, so that every order concatenates the very same tokens; an
        example longer than `max_example_tokens` is cut the same way wherever it stands."""
        encoded = [self._tokenizer.encode(t, add_special_tokens=False) for t in texts]
        truncated = sum(len(e) > max_example_tokens for e in encoded)
        return Tokenized(tuple(tuple(e[:max_example_tokens]) for e in encoded), truncated)

    @property
    def prefix_tokens(self) -> int:
        return len(self._prefix)

    def log_likelihoods(self, sequences: Sequence[Sequence[int]]) -> list[float]:
        """log p(sequence) in nats, each after the tokenizer's BOS token (when it has one).
        Sequences of equal length (a shard's orders) share one forward pass per batch."""
        import torch

        rows = [list(self._prefix) + list(s) for s in sequences]
        if any(len(r) < 2 for r in rows):
            raise ValueError("a sequence to score has fewer than two tokens")
        if len({len(r) for r in rows}) != 1:
            raise ValueError("the orders of one shard must have the same number of tokens")
        scores: list[float] = []
        with torch.inference_mode():
            for start in range(0, len(rows), self._batch_size):
                batch = torch.tensor(rows[start : start + self._batch_size], device=self._device)
                logits = self._model(batch).logits[:, :-1].float()
                logp = torch.log_softmax(logits, dim=-1)
                picked = logp.gather(-1, batch[:, 1:].unsqueeze(-1)).squeeze(-1)
                scores += [float(v) for v in picked.sum(dim=1).tolist()]
        return scores
