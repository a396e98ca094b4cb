from datetime import datetime

from openboard.domain import Finding, Severity, SubmissionRequest, Verdict
from openboard.sources import ModelSnapshot, SourceError
from openboard.validation._checks import ALL_CHECKS, Check
from openboard.validation._policy import ValidationPolicy


def validate(
    snapshot: ModelSnapshot,
    request: SubmissionRequest,
    policy: ValidationPolicy,
    now: datetime,
    checks: tuple[Check, ...] = ALL_CHECKS,
) -> Verdict:
    findings = [finding for check in checks for finding in check(snapshot, request, policy)]
    return Verdict(
        model=request.model,
        revision=snapshot.revision,
        findings=findings,
        params=snapshot.param_count,
        architectures=snapshot.architectures,
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
