"""Links that change one part of a view and keep the rest: the whole view state lives in the URL."""

from urllib.parse import parse_qsl, urlencode


def link(query: str, **changes: str | list[str] | None) -> str:
    """`?query` with each changed parameter replaced (a list: repeated; None: removed)."""
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in changes]
    for key, value in changes.items():
        if isinstance(value, list):
            pairs += [(key, v) for v in value]
        elif value is not None:
            pairs.append((key, value))
    return "?" + urlencode(pairs)


def toggle(query: str, key: str, value: str) -> str:
    """Add `value` to a repeated parameter, or remove it if present (pinning a model)."""
    values = [v for k, v in parse_qsl(query) if k == key]
    values = [v for v in values if v != value] if value in values else [*values, value]
    return link(query, **{key: values})
