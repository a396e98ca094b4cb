"""Tiny Llama-architecture models with random weights and a locally trained tokenizer, as git repositories."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from openboard.demo._git import commit_all
from openboard.evaluation import STARTER, generate_examples

CHAT_TEMPLATE = (
    "{% for message in messages %}<|{{ message['role'] }}|>\n{{ message['content'] }}</s>\n"
    "{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}"
)

_CARD = """---
license: apache-2.0
tags:
- openboard-demo
---
# {name}

A tiny Llama-architecture language model with random weights (seed {seed}), made by
`openboard dev make-model` to exercise openboard's submission, evaluation and leaderboard
pipeline without downloading anything. It has {layers} layers of width {hidden} and a byte-level
BPE tokenizer trained locally. Expect scores at the random baseline: it has learned nothing.
"""


@dataclass(frozen=True, slots=True)
class TinyModelSpec:
    hidden_size: int = 64
    layers: int = 2
    heads: int = 4
    vocab_size: int = 512
    seed: int = 0
    dtype: str = "bfloat16"
    chat_template: bool = True


def _corpus() -> list[str]:
    lines = [
        e["prompt"] if "prompt" in e else f"{e['input']} {e['target']}"
        for task in STARTER.task_names
        for e in generate_examples(task, 200, 7)
    ]
    lines += ["The quick brown fox jumps over the lazy dog.", "Q: A: Answer: Yes No True False"]
    return lines


def write_tiny_model(folder: Path, spec: TinyModelSpec | None = None) -> str:
    """Write a tiny random model into `folder` as a git repository; returns the commit sha."""
    spec = spec or TinyModelSpec()
    write_tiny_model_files(folder, spec)
    return commit_all(folder, f"tiny random model, seed {spec.seed}")


def write_tiny_model_files(folder: Path, spec: TinyModelSpec | None = None) -> None:
    """Write a tiny random model into `folder`: config, safetensors weights, tokenizer, card."""
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    spec = spec or TinyModelSpec()
    folder.mkdir(parents=True, exist_ok=True)
    backend = Tokenizer(models.BPE(unk_token=None))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=spec.vocab_size,
        special_tokens=["<s>", "</s>", "<pad>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    backend.train_from_iterator(_corpus(), trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(  # type: ignore[no-untyped-call]
        tokenizer_object=backend, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    if spec.chat_template:
        tokenizer.chat_template = CHAT_TEMPLATE
    tokenizer.save_pretrained(folder)

    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=spec.hidden_size,
        intermediate_size=spec.hidden_size * 2,
        num_hidden_layers=spec.layers,
        num_attention_heads=spec.heads,
        num_key_value_heads=max(1, spec.heads // 2),
        max_position_embeddings=2048,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        # Wide initial weights: with the usual 0.02 every random model predicts a near-uniform
        # distribution, and all of them get the same score. The demo should show a spread.
        initializer_range=0.5,
        dtype=spec.dtype,
    )
    torch.manual_seed(spec.seed)
    model = LlamaForCausalLM(config).to(getattr(torch, spec.dtype))
    with _without_progress_bars():  # the command's output is openboard's own
        model.save_pretrained(folder, safe_serialization=True)
    (folder / "README.md").write_text(
        _CARD.format(name=folder.name, seed=spec.seed, layers=spec.layers, hidden=spec.hidden_size)
    )


@contextmanager
def _without_progress_bars() -> Iterator[None]:
    """No transformers progress bar ("Writing model shards") while the block runs."""
    from transformers.utils import logging as transformers_logging

    shown = transformers_logging.is_progress_bar_enabled()
    transformers_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    try:
        yield
    finally:
        if shown:
            transformers_logging.enable_progress_bar()  # type: ignore[no-untyped-call]
