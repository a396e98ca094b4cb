import re
from dataclasses import dataclass

from openboard.domain._errors import InvalidModelIdError

# The Hub's repo-name grammar: letters, digits, '-', '_', '.', at most 96 characters per part,
# no part starting or ending with '-' or '.', and no '--' or '..' anywhere.
_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
_MAX_PART = 96


@dataclass(frozen=True, slots=True)
class ModelId:
    """A model id `org/name`, checked before it touches a disk, a URL or a query."""

    org: str
    name: str

    @classmethod
    def parse(cls, text: str) -> "ModelId":
        hint = "use the form org/name, e.g. meta-llama/Llama-3.1-8B"
        if not isinstance(text, str) or not text:
            raise InvalidModelIdError("model id is empty", hint)
        if any(ch in text for ch in ("\x00", "\\")) or text.startswith("/"):
            raise InvalidModelIdError(f"model id {text!r} contains a forbidden character", hint)
        parts = text.split("/")
        if len(parts) != 2:
            raise InvalidModelIdError(f"model id {text!r} must have exactly one '/'", hint)
        for part in parts:
            if len(part) > _MAX_PART or not _PART.fullmatch(part) or ".." in part or "--" in part:
                raise InvalidModelIdError(
                    f"model id part {part!r} is not allowed",
                    "parts use letters, digits, '-', '_' and '.', at most 96 characters, "
                    "and neither start nor end with '-' or '.'",
                )
        return cls(parts[0], parts[1])

    def __str__(self) -> str:
        return f"{self.org}/{self.name}"
