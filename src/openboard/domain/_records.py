from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from openboard.domain._enums import ModelType, Precision, Severity, WeightType
from openboard.domain._model_id import ModelId


class SubmissionRequest(BaseModel):
    """What a submitter asks for, from the web form, the API or the CLI."""

    model_config = ConfigDict(frozen=True)

    model: str
    revision: str = "main"
    precision: Precision = Precision.BFLOAT16
    weight_type: WeightType = WeightType.ORIGINAL
    base_model: str | None = None
    model_type: ModelType
    use_chat_template: bool = False
    sender: str

    @field_validator("model")
    @classmethod
    def _model_is_an_id(cls, value: str) -> str:
        return str(ModelId.parse(value))

    @field_validator("revision")
    @classmethod
    def _empty_revision_is_main(cls, value: str) -> str:
        return value.strip() or "main"

    @property
    def model_id(self) -> ModelId:
        return ModelId.parse(self.model)


class Finding(BaseModel):
    """One check's answer: which rule, how bad, what happened, and how to fix it."""

    model_config = ConfigDict(frozen=True)

    check: str
    severity: Severity
    message: str
    hint: str = ""


class Verdict(BaseModel):
    """The outcome of validating one submission; accepted when no finding is an error."""

    model_config = ConfigDict(frozen=True)

    model: str
    revision: str | None = None
    findings: list[Finding] = Field(default_factory=list)
    checked: list[str] = Field(default_factory=list)  # every rule applied, passed or not
    params: int | None = None
    architectures: list[str] = Field(default_factory=list)
    license: str | None = None
    merged: bool = False
    moe: bool = False
    checked_at: datetime | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def accepted(self) -> bool:
        return not any(f.severity is Severity.ERROR for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity is Severity.ERROR]
