"""Rules for Adapter and Delta submissions: what the adapter or delta holds, and how it meets its base."""

from openboard.domain import Finding, SubmissionRequest, WeightType
from openboard.sources import ModelSnapshot
from openboard.validation._rules import ADAPTER, DELTA


def check_adapter(snapshot: ModelSnapshot, request: SubmissionRequest) -> list[Finding]:
    if request.weight_type is not WeightType.ADAPTER:
        return []
    fix = "save the adapter with peft's save_pretrained, which writes adapter_config.json"
    if snapshot.adapter_config_error and "missing" not in snapshot.adapter_config_error:
        return ADAPTER.error(snapshot.adapter_config_error, fix)
    if snapshot.adapter_config is None:
        return ADAPTER.error("an Adapter submission needs adapter_config.json", fix)
    declared = snapshot.adapter_config.get("base_model_name_or_path")
    if declared and request.base_model and str(declared) != request.base_model:
        return ADAPTER.warning(
            f"adapter_config.json names {declared} as its base, but {request.base_model} was given",
            "check that the adapter was trained on the base model you submit it with",
        )
    return []


def check_delta_shapes(
    snapshot: ModelSnapshot, base: ModelSnapshot, request: SubmissionRequest
) -> list[Finding]:
    """A delta is added tensor by tensor: same architecture, same tensor names and shapes."""
    if request.weight_type is not WeightType.DELTA:
        return []
    fix = "compute the delta from the base model you submit it with (same architecture and sizes)"
    if snapshot.architectures != base.architectures:
        return DELTA.error(
            f"the delta is {snapshot.architectures} but its base is {base.architectures}", fix
        )
    ours = {t.name: t.shape for h in snapshot.safetensors.values() for t in h.tensors}
    theirs = {t.name: t.shape for h in base.safetensors.values() for t in h.tensors}
    if missing := sorted(theirs.keys() - ours.keys()):
        return DELTA.error(
            f"the delta lacks {len(missing)} of the base's tensors, e.g. {missing[0]}", fix
        )
    if wrong := sorted(n for n in theirs if ours[n] != theirs[n]):
        name = wrong[0]
        return DELTA.error(
            f"{len(wrong)} tensors differ in shape from the base, e.g. {name}: {list(ours[name])} vs {list(theirs[name])}",
            fix,
        )
    return []
