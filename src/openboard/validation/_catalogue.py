"""Every check a verdict can name, with the rule it enforces; docs/validation.md documents each one."""

CHECKS: dict[str, str] = {
    "model_id": "the id is `org/name` with the Hub's characters and lengths; path tricks are refused",
    "model_type": "a model type is chosen",
    "precision": "a known precision; a warning when it differs from the config's torch_dtype",
    "weight_type": "Original, Delta or Adapter",
    "source": "the model and revision exist in the model source and can be read",
    "public": "private and gated models are refused unless the operator allows them",
    "symlink": "no symbolic link leads out of the model's files (a Hugging Face cache's links into "
    "its own blobs stay inside); none is ever read",
    "config": "config.json exists and is a JSON object",
    "remote_code": "no auto_map: openboard never runs code from a model repository",
    "loadability": "AutoConfig, AutoTokenizer and AutoModelForCausalLM (on the meta device) load",
    "safetensors": "weights are safetensors; pickled files are never opened",
    "safetensors_header": "every safetensors header is well formed and consistent with the file",
    "shards": "a sharded checkpoint's index names exactly its shards and their tensors",
    "size": "the parameter count is within the limit for the precision",
    "chat_template": "a chat template exists when the toggle is on; chat models get a reminder",
    "model_card": "README.md loads, declares a license and has enough text",
    "adapter": "an Adapter has adapter_config.json naming the base model it was trained on",
    "delta": "a Delta matches its base model's architecture and tensor shapes",
    "base_model": "an Adapter or Delta names a base model that itself passes every rule",
    "duplicate": "the same model, commit and precision is not already pending, running or finished",
    "rate_limit": "a namespace submits at most N models per window; official providers are exempt",
    "blocklist": "the model or its namespace is not on the blocklist",
    "request": "an API body is a JSON object",
}


def catalogued(check: str) -> bool:
    """True for a catalogued name, including a base model's findings (`base_model.<check>`)."""
    head, _, rest = check.partition(".")
    return check in CHECKS or (head == "base_model" and rest in CHECKS)
