"""A model card: YAML metadata between --- lines, then Markdown text."""

from typing import Any

import yaml


def parse_card(card: str) -> tuple[dict[str, Any] | None, str, str | None]:
    """Split a model card into its YAML metadata and its text; the third value is a parse error."""
    if not card.startswith("---"):
        return {}, card, None
    parts = card.split("\n---", 1)
    if len(parts) != 2:
        return None, card, "the YAML header opened with --- is never closed"
    try:
        data = yaml.safe_load(parts[0].removeprefix("---"))
    except yaml.YAMLError as exc:
        return None, parts[1], f"the YAML header is invalid: {str(exc).splitlines()[0]}"
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, parts[1], "the YAML header is not a mapping"
    return data, parts[1].lstrip("-\n"), None
