from datetime import datetime

from openboard.domain import SubmissionRequest, Verdict, WeightType
from openboard.sources import ModelSnapshot, SourceError
from openboard.validation._checks import SIZE, check_public, size_findings
from openboard.validation._policy import ValidationPolicy
from openboard.validation._rules import ADAPTER, DELTA, FILE_CHECKS, MODEL_ID, SOURCE, Check
from openboard.validation._traits import count_parameters, model_traits
from openboard.validation._weight_types import check_adapter, check_delta_shapes


def validate(
    snapshot: ModelSnapshot,
    request: SubmissionRequest,
    policy: ValidationPolicy,
    now: datetime,
    checks: tuple[Check, ...] | None = None,
    base: ModelSnapshot | None = None,
) -> Verdict:
    """Every rule over the snapshot; for an Adapter or a Delta also over how it meets `base`."""
    gate = check_public(snapshot, request, policy)
    if (
        gate or snapshot.unreadable
    ):  # nothing else is worth checking, and the files may be unreadable
        reason = [
            SOURCE.finding(
                snapshot.unreadable or "",
                "ask the operator to give its Hub token access, or submit an ungated model",
            )
        ]
        return Verdict(
            model=request.model,
            revision=snapshot.revision,
            findings=gate or reason,
            checked=[check_public.rule.name],
            checked_at=now,
        )
    adapter = request.weight_type is WeightType.ADAPTER
    checks = tuple(FILE_CHECKS) if checks is None else checks
    if adapter:
        checks = tuple(c for c in checks if not c.reads_config)
    findings = [finding for check in checks for finding in check(snapshot, request, policy)]
    findings += check_adapter(snapshot, request)
    params = count_parameters(snapshot)
    if base is not None:
        findings += check_delta_shapes(snapshot, base, request)
        base_params = count_parameters(base)
        if adapter and params is not None and base_params is not None:
            params += base_params  # the public site's rule: adapter + base
    findings += size_findings(
        params, snapshot if not adapter or base is None else base, request, policy
    )
    checked = [check_public.rule.name, *(c.rule.name for c in checks), SIZE.name]
    if adapter:
        checked.append(ADAPTER.name)
    if request.weight_type is WeightType.DELTA and base is not None:
        checked.append(DELTA.name)
    described = snapshot if not adapter or base is None else base
    traits = model_traits(snapshot)
    return Verdict(
        model=request.model,
        revision=snapshot.revision,
        findings=findings,
        params=params,
        architectures=described.architectures,
        license=traits.license or (model_traits(base).license if base else None),
        merged=traits.merged,
        moe=traits.moe or (model_traits(base).moe if base else False),
        checked=checked,
        checked_at=now,
    )


def source_failure_verdict(
    request: SubmissionRequest, error: SourceError, now: datetime
) -> Verdict:
    """A verdict for a model that could not even be read: the source's error is the one finding."""
    return Verdict(
        model=request.model, findings=SOURCE.error(error.message, error.hint),
        checked=[MODEL_ID.name, SOURCE.name], checked_at=now,
    )  # fmt: skip
