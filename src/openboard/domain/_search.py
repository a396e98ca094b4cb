"""The public leaderboard's search syntax, parsed once into typed terms.

`;` separates OR groups; inside a group, `@architecture:`, `@license:`, `@precision:` and `@type:`
filter a field and the remaining words match the model name, all ANDed. A name query with regular
expression characters is a regular expression; otherwise a case-insensitive substring.
"""

import re
from dataclasses import dataclass, field

from openboard.domain._errors import OpenboardError

SEARCH_FIELDS = ("architecture", "license", "precision", "type")
_REGEX_CHARS = set("^$*+?()[]{}|\\")
_FIELD = re.compile(r"^@(\w+):(.*)$")
MAX_SEARCH_CHARS = 500


class InvalidSearchError(OpenboardError):
    pass


@dataclass(frozen=True, slots=True)
class SearchGroup:
    name: str = ""  # matched against the model id; "" matches every model
    name_is_regex: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # field -> case-insensitive substring


def parse_search(text: str) -> list[SearchGroup]:
    """Groups to OR; an empty search is no group (every row)."""
    if len(text) > MAX_SEARCH_CHARS:
        raise InvalidSearchError(
            f"the search is {len(text)} characters long; at most {MAX_SEARCH_CHARS}",
            "search for fewer things at once",
        )
    groups: list[SearchGroup] = []
    for raw_group in text.split(";"):
        words: list[str] = []
        fields: dict[str, str] = {}
        for token in raw_group.split():
            match = _FIELD.match(token)
            if match is None:
                words.append(token)
                continue
            name, value = match.group(1).lower(), match.group(2)
            if name not in SEARCH_FIELDS:
                raise InvalidSearchError(
                    f"unknown search field @{name}",
                    "use " + ", ".join(f"@{f}:" for f in SEARCH_FIELDS),
                )
            if value:
                fields[name] = value
        name = " ".join(words)
        if not name and not fields:
            continue
        is_regex = bool(set(name) & _REGEX_CHARS)
        if is_regex:
            try:
                re.compile(name)
            except re.error as exc:
                raise InvalidSearchError(
                    f"{name!r} is not a valid regular expression: {exc}",
                    "escape special characters with a backslash, or search for plain text",
                ) from exc
        groups.append(SearchGroup(name=name, name_is_regex=is_regex, fields=fields))
    return groups
