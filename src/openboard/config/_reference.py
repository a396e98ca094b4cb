"""docs/configuration.md, made from the Settings object itself, so that no setting goes undocumented."""

import json
from typing import Any

from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from openboard.config._settings import Settings

__all__ = ["settings_reference"]

_HEAD = """# Configuration reference

Every setting of openboard, made from its settings object by `openboard dev config-docs` (a test
fails when this page is stale). Each is read from the environment variable shown, or from the TOML
file that `OPENBOARD_CONFIG` names (the same name in lower case, without the prefix); explicit
command-line options win over both. Lists and tables are written as JSON in the environment.

```toml
# openboard.toml
home = "/srv/openboard"
suite = "v2"
eval_device = "cuda"
```

| setting | environment variable | type | default | what it does |
| --- | --- | --- | --- | --- |
"""


def settings_reference() -> str:
    rows = [_row(name, field) for name, field in Settings.model_fields.items()]
    return _HEAD + "\n".join(rows) + "\n"


def _row(name: str, field: FieldInfo) -> str:
    if not field.description:
        raise ValueError(f"setting {name} has no description: give its Field a description")
    env = f"OPENBOARD_{name.upper()}"
    cells = (f"`{name}`", f"`{env}`", _type(field.annotation), _default(field), field.description)
    return "| " + " | ".join(_cell(c) for c in cells) + " |"


def _cell(text: str) -> str:
    # A table cell of Markdown: pipes would end it, and <home> would read as an HTML tag.
    return text.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def _type(annotation: Any) -> str:
    text = (
        getattr(annotation, "__name__", None) if not getattr(annotation, "__args__", None) else None
    )
    shown = text or str(annotation).replace("typing.", "").replace("pathlib.", "")
    shown = shown.replace("pydantic.types.", "")
    return f"`{shown}`"


def _default(field: FieldInfo) -> str:
    value = field.default
    if value is PydanticUndefined and field.default_factory is not None:
        value = field.default_factory()  # type: ignore[call-arg]
    if value is PydanticUndefined:
        return "required"
    if value is None:
        return "none"
    if hasattr(value, "get_secret_value"):
        return "(secret)"
    return f"`{json.dumps(value, default=str)}`"
