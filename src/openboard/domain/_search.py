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
    # Substrings every match of the regular expression contains: a cheap index-friendly test
    # the database runs before the expression itself.
    required: tuple[str, ...] = ()


_QUANTIFIERS = set("?*{")


def required_literals(pattern: str) -> tuple[str, ...]:
    """Plain runs of text that every match of `pattern` must contain (conservative: when in
    doubt, nothing). Top-level alternation means nothing is required."""
    runs: list[str] = []
    run = ""
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        literal: str | None = None
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            literal = None if escaped.isalnum() else escaped  # \d, \w...: classes
            i += 1
        elif char in "([":
            depth += 1
            if char == "[":  # skip the class, whose ] may come first
                close = pattern.find("]", i + 2)
                depth -= 1
                i = close if close != -1 else len(pattern)
        elif char == ")":
            depth -= 1
        elif char == "{":  # a quantifier's bounds: not text
            close = pattern.find("}", i)
            i = close if close != -1 else len(pattern)
        elif char == "|" and depth == 0:
            return ()
        elif depth == 0 and char not in "^$.+?*{}":
            literal = char
        following = pattern[i + 1] if i + 1 < len(pattern) else ""
        if literal is not None and depth == 0 and following not in _QUANTIFIERS:
            run += literal
        else:
            if run:
                runs.append(run)
            run = ""
        i += 1
    if run:
        runs.append(run)
    return tuple(r for r in runs if len(r) >= 2)


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
        required = required_literals(name) if is_regex else ()
        groups.append(
            SearchGroup(name=name, name_is_regex=is_regex, fields=fields, required=required)
        )
    return groups
