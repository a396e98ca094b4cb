from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from openboard.domain import Finding, ModelId, Severity, SubmissionRequest, Verdict
from openboard.sources import ModelSnapshot, SourceError
from openboard.store import DuplicateRequestError, EvalRequest, NewRequest, Store
from openboard.validation import ValidationPolicy, source_failure_verdict, validate


class ModelSource(Protocol):
    def snapshot(
        self, model_id: ModelId, revision: str, *, probe: bool = True
    ) -> ModelSnapshot: ...


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
        verdict, snapshot = self._check(request)
        if not verdict.accepted or snapshot is None:
            return SubmissionOutcome(verdict=verdict, request=None)
        new = NewRequest(
            model=request.model,
            base_model=request.base_model,
            requested_revision=request.revision,
            revision=snapshot.revision,
            pin=snapshot.pin,
            precision=request.precision,
            weight_type=request.weight_type,
            model_type=request.model_type,
            use_chat_template=request.use_chat_template,
            params=snapshot.param_count,
            architectures=snapshot.architectures,
            sender=request.sender,
            submitted_time=self._clock(),
            suite=self._suite,
        )
        try:
            queued = self._store.add_request(new, actor=request.sender)
        except DuplicateRequestError as exc:  # lost a race with an identical submission
            return SubmissionOutcome(verdict=_with(verdict, _duplicate(exc)), request=None)
        return SubmissionOutcome(verdict=verdict, request=queued)

    def _check(self, request: SubmissionRequest) -> tuple[Verdict, ModelSnapshot | None]:
        now = self._clock()
        try:
            snapshot = self._source.snapshot(request.model_id, request.revision)
        except SourceError as exc:
            return source_failure_verdict(request, exc, now), None
        verdict = validate(snapshot, request, self._policy, now)
        existing = self._store.find_active(request.model, snapshot.revision, request.precision)
        if existing is not None:
            verdict = _with(
                verdict,
                _duplicate(
                    DuplicateRequestError(
                        existing.id,
                        existing.status.value,
                        existing.model,
                        existing.revision,
                        existing.precision.value,
                    )
                ),
            )
        return verdict, snapshot


def _duplicate(exc: DuplicateRequestError) -> Finding:
    return Finding(check="duplicate", severity=Severity.ERROR, message=exc.message, hint=exc.hint)


def _with(verdict: Verdict, finding: Finding) -> Verdict:
    return verdict.model_copy(update={"findings": [*verdict.findings, finding]})
