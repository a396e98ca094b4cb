"""One function per rule. No I/O: everything a rule needs is in the snapshot."""

from collections.abc import Callable

from packaging.version import InvalidVersion, Version

from openboard.domain import Finding, Precision, Severity, SubmissionRequest
from openboard.sources import ModelSnapshot
from openboard.validation._card import parse_card
from openboard.validation._policy import ValidationPolicy
from openboard.validation._traits import quantization_bits

Check = Callable[[ModelSnapshot, SubmissionRequest, ValidationPolicy], list[Finding]]

_TORCH_DTYPE_TO_PRECISION = {"float16": Precision.FLOAT16, "bfloat16": Precision.BFLOAT16}


def _error(check: str, message: str, hint: str) -> list[Finding]:
    return [Finding(check=check, severity=Severity.ERROR, message=message, hint=hint)]


def check_config(
    snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    if snapshot.config_error:
        return _error("config", snapshot.config_error, "add a config.json saved by transformers")
    return []


def check_links(
    snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    return [
        Finding(
            check="symlink",
            severity=Severity.ERROR,
            message=f"{path} is a symbolic link to {target}, outside the model's files; "
            "openboard never reads through it",
            hint="replace the link with the file itself, or remove it",
        )
        for path, target in snapshot.outside_links.items()
    ]


def check_remote_code(
    snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    config = snapshot.config or {}
    if "auto_map" in config:
        return _error(
            "remote_code",
            "the model needs remote code (config.json has auto_map); openboard never runs remote code",
            "use an architecture that transformers ships, or upstream the model code to transformers",
        )
    return []


def check_loadability(
    snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    probe = snapshot.probe
    if probe is None or snapshot.config_error or "auto_map" in (snapshot.config or {}):
        return []  # nothing probed, or a clearer finding already names the cause
    findings: list[Finding] = []
    version = probe.transformers_version
    if probe.config_error:
        saved_with = _newer_transformers(snapshot, version)
        findings += _error(
            "loadability",
            f"AutoConfig cannot load the model with transformers {version}: {probe.config_error}"
            + (
                f"; config.json was saved by transformers {saved_with}, which may know this architecture"
                if saved_with
                else ""
            ),
            f"ask the operator to upgrade transformers to {saved_with} or later"
            if saved_with
            else "check that config.json's model_type is one transformers knows, and load it yourself "
            "with AutoConfig.from_pretrained(..., trust_remote_code=False)",
        )
    if probe.tokenizer_error:
        findings += _error(
            "loadability",
            f"AutoTokenizer cannot load the tokenizer with transformers {version}: {probe.tokenizer_error}",
            "save the tokenizer with tokenizer.save_pretrained() next to the model",
        )
    if probe.model_error:
        findings += _error(
            "loadability",
            f"AutoModelForCausalLM cannot build the model with transformers {version}: {probe.model_error}",
            "openboard evaluates causal language models whose architecture transformers ships",
        )
    return findings


def _newer_transformers(snapshot: ModelSnapshot, installed: str) -> str | None:
    """The transformers version that saved the config, when it is newer than the one installed here."""
    saved = (snapshot.config or {}).get("transformers_version")
    try:
        return str(saved) if saved and Version(str(saved)) > Version(installed) else None
    except InvalidVersion:
        return None


def check_public(
    snapshot: ModelSnapshot, _: SubmissionRequest, policy: ValidationPolicy
) -> list[Finding]:
    if snapshot.private and not policy.allow_private:
        return _error(
            "public",
            "the model is private; only public models are evaluated",
            "make the repository public, or ask the operator to allow private models",
        )
    if snapshot.gated and not policy.allow_gated:
        return _error(
            "public",
            f"the model is gated ({snapshot.gated} approval); only ungated models are evaluated",
            "remove the gate, or ask the operator to allow gated models",
        )
    return []


def check_weights_format(
    snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    findings: list[Finding] = []
    if snapshot.pickled_files and not snapshot.safetensors_files:
        findings += _error(
            "safetensors",
            f"the weights are pickled ({', '.join(snapshot.pickled_files[:3])}); openboard never loads pickled weights",
            "convert them: model.save_pretrained(path, safe_serialization=True), then commit the .safetensors files",
        )
    elif not snapshot.safetensors_files:
        findings += _error(
            "safetensors",
            "no .safetensors weights found",
            "save the model with model.save_pretrained(path) (safetensors is the default)",
        )
    elif snapshot.pickled_files:
        findings.append(
            Finding(
                check="safetensors",
                severity=Severity.INFO,
                message=f"pickled files ({', '.join(snapshot.pickled_files[:3])}) are ignored; only safetensors are read",
                hint="remove the pickled copies to save space",
            )
        )
    for path, error in sorted(snapshot.safetensors_errors.items()):
        findings += _error("safetensors_header", error, f"fix or re-save {path}")
    return findings


def check_shards(
    snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    """A sharded checkpoint's index must name exactly the shards present and the tensors they hold."""
    fix = "re-save the model with save_pretrained so the index and the shards are written together"
    if snapshot.safetensors_index_error:
        return _error("shards", snapshot.safetensors_index_error, fix)
    index = snapshot.safetensors_index
    if index is None:
        return []
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        return _error("shards", "model.safetensors.index.json has no weight_map", fix)
    named = {str(f) for f in weight_map.values()}
    present = set(snapshot.safetensors_files)
    findings: list[Finding] = []
    if missing := sorted(named - present):
        findings += _error(
            "shards", f"the index names shards that are missing: {', '.join(missing[:5])}", fix
        )
    if stray := sorted(present - named):
        findings += _error("shards", f"shards not named in the index: {', '.join(stray[:5])}", fix)
    if not findings and not snapshot.safetensors_errors:
        held = {
            (t.name, path) for path, header in snapshot.safetensors.items() for t in header.tensors
        }
        wrong = sorted(name for name, path in weight_map.items() if (name, path) not in held)
        if wrong:
            findings += _error(
                "shards",
                f"{len(wrong)} tensors are not in the shard the index names, e.g. {wrong[0]!r}",
                fix,
            )
    return findings


def size_findings(
    params: int | None,
    snapshot: ModelSnapshot,
    request: SubmissionRequest,
    policy: ValidationPolicy,
) -> list[Finding]:
    """The precision-adjusted size limit; `snapshot` is the model whose config names the quantization."""
    if params is None:
        return []
    if request.precision in (Precision.FLOAT16, Precision.BFLOAT16):
        limit = policy.max_params_high_precision
    elif request.precision is Precision.GPTQ:
        bits = quantization_bits(snapshot)
        if bits is None or bits not in policy.gptq_factors:
            return _error(
                "size",
                f"precision GPTQ needs quantization_config.bits in config.json, one of {sorted(policy.gptq_factors)}; found {bits}",
                "quantize the model with GPTQ (e.g. through optimum or gptqmodel), which writes quantization_config",
            )
        limit = policy.max_params_quantized_base * policy.gptq_factors[bits]
    else:
        limit = policy.max_params_quantized_base * policy.quantized_factors[request.precision]
    if params > limit:
        return _error(
            "size",
            f"{params / 1e9:.1f} B parameters exceed the {limit / 1e9:.0f} B limit for {request.precision}",
            "choose a lower precision (8bit, 4bit) or ask the operator for a manual evaluation",
        )
    return []


def check_precision(
    snapshot: ModelSnapshot, request: SubmissionRequest, _: ValidationPolicy
) -> list[Finding]:
    declared = (snapshot.config or {}).get("torch_dtype") or (snapshot.config or {}).get("dtype")
    expected = _TORCH_DTYPE_TO_PRECISION.get(str(declared))
    if expected is None or request.precision not in _TORCH_DTYPE_TO_PRECISION.values():
        return []
    if expected is not request.precision:
        risk = (
            " bfloat16 weights loaded in float16 can overflow and produce NaNs."
            if expected is Precision.BFLOAT16 and request.precision is Precision.FLOAT16
            else ""
        )
        return [
            Finding(
                check="precision",
                severity=Severity.WARNING,
                message=f"the model was saved in {declared} but is submitted in {request.precision}.{risk}",
                hint=f"submit with precision {expected} unless you mean to",
            )
        ]
    return []


def check_chat_template(
    snapshot: ModelSnapshot, request: SubmissionRequest, _: ValidationPolicy
) -> list[Finding]:
    if request.use_chat_template and snapshot.chat_template is None:
        return _error(
            "chat_template",
            "'use chat template' is on but the tokenizer has no chat template",
            "add chat_template to tokenizer_config.json (or chat_template.jinja), or submit without the toggle",
        )
    if not request.use_chat_template and request.model_type == "chat":
        return [
            Finding(
                check="chat_template",
                severity=Severity.WARNING,
                message="a chat model submitted without its chat template usually scores lower",
                hint="tick 'use chat template' (--chat-template)",
            )
        ]
    return []


def check_model_card(
    snapshot: ModelSnapshot, _: SubmissionRequest, policy: ValidationPolicy
) -> list[Finding]:
    if snapshot.card is None:
        return _error(
            "model_card",
            "the model has no model card (README.md)",
            "add a README.md that describes the model, its training data and its license",
        )
    metadata, text, problem = parse_card(snapshot.card)
    if problem or metadata is None:
        return _error(
            "model_card", f"the model card does not load: {problem}", "fix the card's YAML header"
        )
    findings: list[Finding] = []
    if not metadata.get("license") and not (
        metadata.get("license_name") and metadata.get("license_link")
    ):
        findings += _error(
            "model_card",
            "the model card declares no license",
            "add `license: <spdx id>` (or `license_name` and `license_link`) to the card's YAML header",
        )
    if len(text.strip()) < policy.min_card_chars:
        findings += _error(
            "model_card",
            f"the model card text has {len(text.strip())} characters; at least {policy.min_card_chars} are needed",
            "describe the model: what it is, how it was trained, on what data, and its limitations",
        )
    return findings


# The catalogue names each check reports under (docs/validation.md).
RULE_NAMES: dict[str, tuple[str, ...]] = {
    "check_links": ("symlink",),
    "check_config": ("config",),
    "check_remote_code": ("remote_code",),
    "check_loadability": ("loadability",),
    "check_weights_format": ("safetensors", "safetensors_header"),
    "check_shards": ("shards",),
    "check_precision": ("precision",),
    "check_chat_template": ("chat_template",),
    "check_model_card": ("model_card",),
}

ALL_CHECKS: tuple[Check, ...] = (
    check_links,
    check_config,
    check_remote_code,
    check_loadability,
    check_weights_format,
    check_shards,
    check_precision,
    check_chat_template,
    check_model_card,
)
