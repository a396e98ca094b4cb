"""A submission from untrusted fields (a form, JSON, CLI options) into a typed request or a refusal."""

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from openboard.domain import Finding, ModelType, Severity, SubmissionRequest, Verdict
from openboard.validation import MODEL_ID

# Which check a malformed field belongs to, so a refusal names the rule as every other finding does.
_FIELD_CHECK = {"model": MODEL_ID.name}


def parse_submission(fields: Mapping[str, Any]) -> SubmissionRequest | Verdict:
    """The typed request, or a refusal verdict with one finding per wrong field.

    "use_chat_template" left out (None) follows the model type: on for chat models, as on the public site.
    """
    data = dict(fields)
    if data.get("use_chat_template") is None:
        data["use_chat_template"] = data.get("model_type") == ModelType.CHAT.value
    try:
        return SubmissionRequest.model_validate(data)
    except ValidationError as exc:
        findings = [
            Finding(
                check=_FIELD_CHECK.get(field, field),
                severity=Severity.ERROR,
                message=f"{field}: {str(error['msg']).removeprefix('Value error, ')}",
                hint=_hint(field),
            )
            for error in exc.errors()
            for field in [".".join(str(p) for p in error["loc"]) or "request"]
        ]
        return Verdict(model=str(data.get("model", "")), findings=findings)


def _hint(field: str) -> str:
    choices = {
        "model": "use the form org/name, e.g. meta-llama/Llama-3.1-8B",
        "precision": "one of float16, bfloat16, 8bit, 4bit, GPTQ",
        "weight_type": "one of Original, Delta, Adapter",
        "model_type": "one of " + ", ".join(t.value for t in ModelType),
    }
    return choices.get(field, "fix the value and try again")
