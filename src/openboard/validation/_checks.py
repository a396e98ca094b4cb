"""One function per rule, registered with its name and what it enforces. No I/O: everything a
rule needs is in the snapshot."""

from packaging.version import InvalidVersion, Version

from openboard.domain import Finding, Precision, Severity, SubmissionRequest
from openboard.sources import ModelSnapshot
from openboard.validation._card import parse_card
from openboard.validation._policy import ValidationPolicy
from openboard.validation._rules import Rule, Stage, check, declare
from openboard.validation._traits import quantization_bits

_TORCH_DTYPE_TO_PRECISION = {"float16": Precision.FLOAT16, "bfloat16": Precision.BFLOAT16}


@check(
    "symlink",
    "no symbolic link leads out of the model's files (a Hugging Face cache's links into "
    "its own blobs stay inside); none is ever read",
)
def check_links(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    return [
        finding
        for path, target in snapshot.outside_links.items()
        for finding in rule.error(
            f"{path} is a symbolic link to {target}, outside the model's files; "
            "openboard never reads through it",
            "replace the link with the file itself, or remove it",
        )
    ]


@check("config", "config.json exists and is a JSON object", reads_config=True)
def check_config(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    if snapshot.config_error:
        return rule.error(snapshot.config_error, "add a config.json saved by transformers")
    return []


@check(
    "remote_code",
    "no auto_map: openboard never runs code from a model repository",
    reads_config=True,
)
def check_remote_code(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    config = snapshot.config or {}
    if "auto_map" in config:
        return rule.error(
            "the model needs remote code (config.json has auto_map); openboard never runs remote code",
            "use an architecture that transformers ships, or upstream the model code to transformers",
        )
    return []


@check(
    "loadability",
    "AutoConfig, AutoTokenizer and AutoModelForCausalLM (on the meta device) load",
    reads_config=True,
)
def check_loadability(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    probe = snapshot.probe
    if probe is None or snapshot.config_error or "auto_map" in (snapshot.config or {}):
        return []  # nothing probed, or a clearer finding already names the cause
    findings: list[Finding] = []
    version = probe.transformers_version
    if probe.config_error:
        saved_with = _newer_transformers(snapshot, version)
        findings += rule.error(
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
        findings += rule.error(
            f"AutoTokenizer cannot load the tokenizer with transformers {version}: {probe.tokenizer_error}",
            "save the tokenizer with tokenizer.save_pretrained() next to the model",
        )
    if probe.model_error:
        findings += rule.error(
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


@check(
    "public",
    "private and gated models are refused unless the operator allows them",
    stage=Stage.SOURCE,
)
def check_public(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, policy: ValidationPolicy
) -> list[Finding]:
    if snapshot.private and not policy.allow_private:
        return rule.error(
            "the model is private; only public models are evaluated",
            "make the repository public, or ask the operator to allow private models",
        )
    if snapshot.gated and not policy.allow_gated:
        return rule.error(
            f"the model is gated ({snapshot.gated} approval); only ungated models are evaluated",
            "remove the gate, or ask the operator to allow gated models",
        )
    return []


@check("safetensors", "weights are safetensors; pickled files are never opened")
def check_safetensors(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    findings: list[Finding] = []
    if snapshot.pickled_files and not snapshot.safetensors_files:
        findings += rule.error(
            f"the weights are pickled ({', '.join(snapshot.pickled_files[:3])}); openboard never loads pickled weights",
            "convert them: model.save_pretrained(path, safe_serialization=True), then commit the .safetensors files",
        )
    elif not snapshot.safetensors_files:
        findings += rule.error(
            "no .safetensors weights found",
            "save the model with model.save_pretrained(path) (safetensors is the default)",
        )
    elif snapshot.pickled_files:
        findings.append(
            rule.finding(
                f"pickled files ({', '.join(snapshot.pickled_files[:3])}) are ignored; only safetensors are read",
                "remove the pickled copies to save space",
                Severity.INFO,
            )
        )
    return findings


@check(
    "safetensors_header",
    "every safetensors header is well formed and consistent with the file",
)
def check_safetensors_headers(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    return [
        finding
        for path, error in sorted(snapshot.safetensors_errors.items())
        for finding in rule.error(error, f"fix or re-save {path}")
    ]


@check("shards", "a sharded checkpoint's index names exactly its shards and their tensors")
def check_shards(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, __: ValidationPolicy
) -> list[Finding]:
    """A sharded checkpoint's index must name exactly the shards present and the tensors they hold."""
    fix = "re-save the model with save_pretrained so the index and the shards are written together"
    if snapshot.safetensors_index_error:
        return rule.error(snapshot.safetensors_index_error, fix)
    index = snapshot.safetensors_index
    if index is None:
        return []
    weight_map = index.get("weight_map")
    if not isinstance(weight_map, dict) or not weight_map:
        return rule.error("model.safetensors.index.json has no weight_map", fix)
    named = {str(f) for f in weight_map.values()}
    present = set(snapshot.safetensors_files)
    findings: list[Finding] = []
    if missing := sorted(named - present):
        findings += rule.error(
            f"the index names shards that are missing: {', '.join(missing[:5])}", fix
        )
    if stray := sorted(present - named):
        findings += rule.error(f"shards not named in the index: {', '.join(stray[:5])}", fix)
    if not findings and not snapshot.safetensors_errors:
        held = {
            (t.name, path) for path, header in snapshot.safetensors.items() for t in header.tensors
        }
        wrong = sorted(name for name, path in weight_map.items() if (name, path) not in held)
        if wrong:
            findings += rule.error(
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
            return SIZE.error(
                f"precision GPTQ needs quantization_config.bits in config.json, one of {sorted(policy.gptq_factors)}; found {bits}",
                "quantize the model with GPTQ (e.g. through optimum or gptqmodel), which writes quantization_config",
            )
        limit = policy.max_params_quantized_base * policy.gptq_factors[bits]
    else:
        limit = policy.max_params_quantized_base * policy.quantized_factors[request.precision]
    if params > limit:
        return SIZE.error(
            f"{params / 1e9:.1f} B parameters exceed the {limit / 1e9:.0f} B limit for {request.precision}",
            "choose a lower precision (8bit, 4bit) or ask the operator for a manual evaluation",
        )
    return []


@check(
    "precision",
    "a known precision; a warning when it differs from the config's torch_dtype",
    reads_config=True,
)
def check_precision(
    rule: Rule, snapshot: ModelSnapshot, request: SubmissionRequest, _: ValidationPolicy
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
        return rule.warning(
            f"the model was saved in {declared} but is submitted in {request.precision}.{risk}",
            f"submit with precision {expected} unless you mean to",
        )
    return []


@check("chat_template", "a chat template exists when the toggle is on; chat models get a reminder")
def check_chat_template(
    rule: Rule, snapshot: ModelSnapshot, request: SubmissionRequest, _: ValidationPolicy
) -> list[Finding]:
    if request.use_chat_template and snapshot.chat_template is None:
        return rule.error(
            "'use chat template' is on but the tokenizer has no chat template",
            "add chat_template to tokenizer_config.json (or chat_template.jinja), or submit without the toggle",
        )
    if not request.use_chat_template and request.model_type == "chat":
        return rule.warning(
            "a chat model submitted without its chat template usually scores lower",
            "tick 'use chat template' (--chat-template)",
        )
    return []


@check("model_card", "README.md loads, declares a license and has enough text")
def check_model_card(
    rule: Rule, snapshot: ModelSnapshot, _: SubmissionRequest, policy: ValidationPolicy
) -> list[Finding]:
    if snapshot.card is None:
        return rule.error(
            "the model has no model card (README.md)",
            "add a README.md that describes the model, its training data and its license",
        )
    metadata, text, problem = parse_card(snapshot.card)
    if problem or metadata is None:
        return rule.error(f"the model card does not load: {problem}", "fix the card's YAML header")
    findings: list[Finding] = []
    if not metadata.get("license") and not (
        metadata.get("license_name") and metadata.get("license_link")
    ):
        findings += rule.error(
            "the model card declares no license",
            "add `license: <spdx id>` (or `license_name` and `license_link`) to the card's YAML header",
        )
    if len(text.strip()) < policy.min_card_chars:
        findings += rule.error(
            f"the model card text has {len(text.strip())} characters; at least {policy.min_card_chars} are needed",
            "describe the model: what it is, how it was trained, on what data, and its limitations",
        )
    return findings


# After the file checks: the size is counted over them (and over an Adapter's base).
SIZE = declare("size", "the parameter count is within the limit for the precision", Stage.FILES)
