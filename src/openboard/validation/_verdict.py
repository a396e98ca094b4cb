from datetime import datetime

from openboard.domain import Finding, Severity, SubmissionRequest, Verdict, WeightType
from openboard.sources import ModelSnapshot, SourceError
from openboard.validation._checks import ALL_CHECKS, Check, size_findings
from openboard.validation._policy import ValidationPolicy
from openboard.validation._weight_types import CONFIG_RULES, check_adapter, check_delta_shapes


def validate(
    snapshot: ModelSnapshot,
    request: SubmissionRequest,
    policy: ValidationPolicy,
    now: datetime,
    checks: tuple[Check, ...] = ALL_CHECKS,
    base: ModelSnapshot | None = None,
) -> Verdict:
    """Every rule over the snapshot; for an Adapter or a Delta also over how it meets `base`."""
    adapter = request.weight_type is WeightType.ADAPTER
    if adapter:
        checks = tuple(c for c in checks if c.__name__ not in CONFIG_RULES)
    findings = [finding for check in checks for finding in check(snapshot, request, policy)]
    findings += check_adapter(snapshot, request)
    params = snapshot.param_count
    if base is not None:
        findings += check_delta_shapes(snapshot, base, request)
        if adapter and params is not None and base.param_count is not None:
            params += base.param_count  # the public site's rule: adapter + base
    findings += size_findings(
        params, snapshot if not adapter or base is None else base, request, policy
    )
    return Verdict(
        model=request.model,
        revision=snapshot.revision,
        findings=findings,
        params=params,
        architectures=snapshot.architectures if not adapter or base is None else base.architectures,
        checked_at=now,
    )


def source_failure_verdict(
    request: SubmissionRequest, error: SourceError, now: datetime
) -> Verdict:
    """A verdict for a model that could not even be read: the source's error is the one finding."""
    finding = Finding(
        check="source", severity=Severity.ERROR, message=error.message, hint=error.hint
    )
    return Verdict(model=request.model, findings=[finding], checked_at=now)
