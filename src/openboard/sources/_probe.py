"""Try the AutoClasses on a folder, the way a submitter is asked to, without remote code or weights."""

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class LoadProbe:
    """What happened when transformers' AutoClasses met the model's files (None: it worked)."""

    transformers_version: str
    config_error: str | None
    tokenizer_error: str | None
    model_error: str | None


def probe_loadability(folder: Path) -> LoadProbe:
    """Load config and tokenizer, and build the model on the meta device (no weights read)."""
    import torch
    import transformers
    from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer

    config_error = tokenizer_error = model_error = None
    config = None
    # transformers raises many unrelated exception types for a bad config; each is reported verbatim.
    try:
        config = AutoConfig.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - the message is the finding
        config_error = _first_line(exc)
    try:
        AutoTokenizer.from_pretrained(folder, trust_remote_code=False, local_files_only=True)
    except Exception as exc:  # noqa: BLE001 - the message is the finding
        tokenizer_error = _first_line(exc)
    if config is not None:
        try:
            with torch.device("meta"):
                AutoModelForCausalLM.from_config(config, trust_remote_code=False)  # type: ignore[no-untyped-call]
        except Exception as exc:  # noqa: BLE001 - the message is the finding
            model_error = _first_line(exc)
    return LoadProbe(
        transformers_version=transformers.__version__,
        config_error=config_error,
        tokenizer_error=tokenizer_error,
        model_error=model_error,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text.splitlines()[0][:500]}"
