"""The rules' registry. Each rule is registered once, with its name, its documentation and the
stage it runs at; the catalogue, the verdict's list of applied rules and docs/validation.md's table
are read from here. A rule over the model's files registers with `@check`, and names its findings
through the rule it is given; a rule applied elsewhere (the request's fields, the source, the
database) registers with `declare` and its code makes findings with the returned `Rule`."""

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from openboard.domain import Finding, Severity, SubmissionRequest
from openboard.sources import ModelSnapshot
from openboard.validation._policy import ValidationPolicy


class Stage(StrEnum):
    """When a rule runs; a verdict applies the stages in this order."""

    REQUEST = "request"
    SOURCE = "source"
    FILES = "files"
    BASE = "base"
    ADMISSION = "admission"


STAGE_DOCS = {
    Stage.REQUEST: "the request's fields, before anything is read",
    Stage.SOURCE: "reading the model from its source",
    Stage.FILES: "the model's files (config, tokenizer, card, safetensors headers): pure functions",
    Stage.BASE: "an Adapter's or a Delta's base model",
    Stage.ADMISSION: "the database, in the transaction that queues the request",
}


@dataclass(frozen=True, slots=True)
class Rule:
    name: str
    doc: str
    stage: Stage

    def finding(self, message: str, hint: str, severity: Severity = Severity.ERROR) -> Finding:
        return Finding(check=self.name, severity=severity, message=message, hint=hint)

    def error(self, message: str, hint: str) -> list[Finding]:
        return [self.finding(message, hint)]

    def warning(self, message: str, hint: str) -> list[Finding]:
        return [self.finding(message, hint, Severity.WARNING)]


RULES: dict[str, Rule] = {}


def declare(name: str, doc: str, stage: Stage) -> Rule:
    if name in RULES:
        raise ValueError(f"the validation rule {name!r} is registered twice")
    RULES[name] = Rule(name, doc, stage)
    return RULES[name]


Body = Callable[[Rule, ModelSnapshot, SubmissionRequest, ValidationPolicy], list[Finding]]


@dataclass(frozen=True, slots=True)
class Check:
    """A registered rule over the model's files."""

    rule: Rule
    body: Body
    reads_config: bool  # an Adapter has no config.json: its base's config is checked instead

    def __call__(
        self, snapshot: ModelSnapshot, request: SubmissionRequest, policy: ValidationPolicy
    ) -> list[Finding]:
        return self.body(self.rule, snapshot, request, policy)


FILE_CHECKS: list[Check] = []  # in registration order: the order findings and `checked` list them


def check(
    name: str, doc: str, *, stage: Stage = Stage.FILES, reads_config: bool = False
) -> Callable[[Body], Check]:
    """Registers a rule over the snapshot; one of the FILES stage runs in every `validate`."""

    def register(body: Body) -> Check:
        made = Check(declare(name, doc, stage), body, reads_config)
        if stage is Stage.FILES:
            FILE_CHECKS.append(made)
        return made

    return register


def catalogued(check: str) -> bool:
    """True for a registered name, including a base model's findings (`base_model.<check>`)."""
    head, _, rest = check.partition(".")
    return check in RULES or (head == BASE_MODEL.name and rest in RULES)


# Rules applied outside the file checks, in the order a verdict applies them.
MODEL_ID = declare(
    "model_id",
    "the id is `org/name` with the Hub's characters and lengths; path tricks are refused",
    Stage.REQUEST,
)
MODEL_TYPE = declare("model_type", "a model type is chosen", Stage.REQUEST)
WEIGHT_TYPE = declare("weight_type", "Original, Delta or Adapter", Stage.REQUEST)
REQUEST = declare("request", "an API body is a JSON object", Stage.REQUEST)
SOURCE = declare(
    "source", "the model and revision exist in the model source and can be read", Stage.SOURCE
)
ADAPTER = declare(
    "adapter",
    "an Adapter has adapter_config.json naming the base model it was trained on",
    Stage.BASE,
)
DELTA = declare(
    "delta", "a Delta matches its base model's architecture and tensor shapes", Stage.BASE
)
BASE_MODEL = declare(
    "base_model", "an Adapter or Delta names a base model that itself passes every rule", Stage.BASE
)
BLOCKLIST = declare(
    "blocklist", "the model or its namespace is not on the blocklist", Stage.ADMISSION
)
DUPLICATE = declare(
    "duplicate",
    "the same model, commit and precision is not already pending, running or finished",
    Stage.ADMISSION,
)
RATE_LIMIT = declare(
    "rate_limit",
    "a namespace submits at most N models per window; official providers are exempt",
    Stage.ADMISSION,
)
ADMISSION = (BLOCKLIST, DUPLICATE, RATE_LIMIT)  # store.AdmissionError's `check` names these


def catalogue() -> dict[str, str]:
    """Every rule's name and what it enforces, stage by stage."""
    ordered = sorted(RULES.values(), key=lambda r: list(Stage).index(r.stage))
    return {r.name: r.doc for r in ordered}
