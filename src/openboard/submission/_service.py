from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from openboard.domain import (
    Finding,
    InvalidModelIdError,
    ModelId,
    Severity,
    SubmissionRequest,
    Verdict,
    WeightType,
)
from openboard.sources import ModelSnapshot, ModelSource, SourceError
from openboard.store import Admission, AdmissionError, EvalRequest, NewRequest, Store
from openboard.validation import (
    ADMISSION,
    BASE_MODEL,
    MODEL_ID,
    SOURCE,
    ValidationPolicy,
    source_failure_verdict,
    validate,
)


@dataclass(frozen=True, slots=True)
class SubmissionOutcome:
    verdict: Verdict
    request: EvalRequest | None  # the queued request; None when refused

    @property
    def accepted(self) -> bool:
        return self.request is not None


class SubmissionService:
    """Resolve the revision, validate, refuse duplicates, queue: the same path for every front end."""

    def __init__(
        self,
        source: ModelSource,
        store: Store,
        policy: ValidationPolicy,
        clock: Callable[[], datetime],
        suite: str,
    ) -> None:
        self._source = source
        self._store = store
        self._policy = policy
        self._clock = clock
        self._suite = suite

    def check(self, request: SubmissionRequest) -> Verdict:
        """Everything `submit` checks, without queueing anything."""
        return self._check(request)[0]

    def submit(self, request: SubmissionRequest) -> SubmissionOutcome:
        verdict, new = self._check(request)
        if not verdict.accepted or new is None:
            return SubmissionOutcome(verdict=verdict, request=None)
        try:
            queued = self._store.add_request(
                new, actor=request.sender, admission=self._admission(new)
            )
        except AdmissionError as exc:  # lost a race: the rule holds in the inserting transaction
            return SubmissionOutcome(verdict=_with(verdict, _admission_finding(exc)), request=None)
        return SubmissionOutcome(verdict=verdict, request=queued)

    def _admission(self, new: NewRequest) -> Admission | None:
        official = new.namespace.lower() in {
            n.lower() for n in self._store.moderation.official_namespaces()
        }
        if official or self._policy.is_official(new.namespace):
            return None
        days = self._policy.rate_limit_days
        return Admission(
            limit=self._policy.rate_limit_count,
            window_start=new.submitted_time - timedelta(days=days),
            window_days=days,
        )

    def _check(self, request: SubmissionRequest) -> tuple[Verdict, NewRequest | None]:
        now = self._clock()
        try:
            snapshot = self._source.snapshot(request.model_id, request.revision)
        except SourceError as exc:
            return source_failure_verdict(request, exc, now), None
        base, base_findings = self._base(request, now)
        verdict = validate(snapshot, request, self._policy, now, base=base)
        for finding in base_findings:
            verdict = _with(verdict, finding)
        new = NewRequest(
            model=request.model,
            base_model=request.base_model,
            base_revision=base.revision if base else None,
            requested_revision=request.revision,
            revision=snapshot.revision,
            pin=snapshot.pin,
            precision=request.precision,
            weight_type=request.weight_type,
            model_type=request.model_type,
            use_chat_template=request.use_chat_template,
            params=verdict.params,
            architectures=verdict.architectures,
            sender=request.sender,
            submitted_time=now,
            suite=self._suite,
            license=verdict.license,
            merged=verdict.merged,
            moe=verdict.moe,
            model_card=snapshot.card,
        )
        for error in self._store.admission_errors(new, self._admission(new)):
            verdict = _with(verdict, _admission_finding(error))
        rules = [MODEL_ID.name, SOURCE.name, *verdict.checked]
        if request.weight_type.needs_base_model:
            rules.append(BASE_MODEL.name)
        rules += [r.name for r in ADMISSION]
        return verdict.model_copy(update={"checked": rules}), new

    def _base(
        self, request: SubmissionRequest, now: datetime
    ) -> tuple[ModelSnapshot | None, list[Finding]]:
        """An Adapter's or Delta's base model, pinned and held to every rule an Original meets."""
        if not request.weight_type.needs_base_model:
            return None, []
        if not request.base_model:
            return None, BASE_MODEL.error(
                f"a {request.weight_type} submission needs its base model",
                "give the base model's id (--base-model org/name)",
            )
        try:
            base_id = ModelId.parse(request.base_model)
            base = self._source.snapshot(base_id, "main")
        except (SourceError, InvalidModelIdError) as exc:
            return None, BASE_MODEL.error(f"base model: {exc.message}", exc.hint)
        as_original = request.model_copy(
            update={
                "model": request.base_model,
                "weight_type": WeightType.ORIGINAL,
                "base_model": None,
            }
        )
        base_verdict = validate(base, as_original, self._policy, now)
        return base, [
            f.model_copy(
                update={
                    "check": f"{BASE_MODEL.name}.{f.check}",
                    "message": f"base model {base_id}: {f.message}",
                }
            )
            for f in base_verdict.findings
            if f.severity is not Severity.INFO
        ]


def _admission_finding(exc: AdmissionError) -> Finding:
    return Finding(check=exc.check, severity=Severity.ERROR, message=exc.message, hint=exc.hint)


def _with(verdict: Verdict, finding: Finding) -> Verdict:
    return verdict.model_copy(update={"findings": [*verdict.findings, finding]})
