"""The public leaderboard's search syntax, parsed once into typed terms.

`;` separates OR groups; inside a group, `@architecture:`, `@license:`, `@precision:` and `@type:`
filter a field and the remaining words match the model name, all ANDed. A name query with regular
expression characters is a regular expression; otherwise a case-insensitive substring.

Regular expressions run on RE2 (google-re2), whose time is linear in the text: no pattern can make
one row cost more than a bounded scan, however it nests its repetitions. `compile_search` is the
one matcher every engine that searches outside SQL uses; SQLite's `openboard_regexp` calls
`pattern_search`, so the two cannot disagree on what a pattern means.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import re2
from re2 import _re2

from openboard.domain._errors import OpenboardError

SEARCH_FIELDS = ("architecture", "license", "precision", "type")
_REGEX_CHARS = set("^$*+?()[]{}|\\")
_FIELD = re.compile(r"^@(\w+):(.*)$")
MAX_SEARCH_CHARS = 500


# RE2's memory for one compiled pattern: a bounded program, and DFA states beyond it fall back
# to its (still linear) NFA instead of growing.
_RE2_MAX_MEM = 4 << 20
# RE2's time per row is linear in the name with a factor of the program's size; past about 2,500
# instructions a 96-character name (the Hub's longest) no longer fits its bit-state matcher and
# one row costs a millisecond. Patterns that big are no name search: refused.
MAX_PROGRAM_SIZE = 2500


class InvalidSearchError(OpenboardError):
    parameter = "q"


# How long one board search may run by default (the setting `search_deadline_seconds`): one
# request never holds a server process for longer.
DEFAULT_SEARCH_DEADLINE_S = 2.0


class SearchDeadlineError(OpenboardError):
    """A search ran past its deadline (the database stopped it)."""

    parameter = "q"

    def __init__(self, seconds: float) -> None:
        super().__init__(
            f"the search q ran for more than {seconds:g} s and was stopped",
            "search for something more specific (a longer plain name, or a field like @license:)",
        )
        self.seconds = seconds


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.never_capture = True  # a yes/no answer: no submatches to track
    options.log_errors = False
    options.max_mem = _RE2_MAX_MEM
    return options


_OPTIONS = _options()
_UNANCHORED = _re2.RE2.Anchor.UNANCHORED


class CompiledPattern:
    """One RE2 program. It is called once per row, on SQLite from inside the query: this goes
    straight to the program's Match (a third of the time of `re2.search`, which also decodes
    the match's offsets that a yes/no answer never reads)."""

    __slots__ = ("_program",)

    def __init__(self, program: Any) -> None:
        self._program = program

    def search(self, text: str) -> bool:
        encoded = text.encode()
        start: int = self._program.Match(_UNANCHORED, encoded, 0, len(encoded))[0][0]
        return start >= 0  # (-1, -1): no match


@lru_cache(maxsize=256)
def compiled_pattern(pattern: str) -> CompiledPattern:
    """`pattern` compiled for a case-insensitive, linear-time search; InvalidSearchError when
    RE2 refuses it (a syntax error, a backreference or lookaround, or a program too large)."""
    program = _re2.RE2(pattern.encode(), _OPTIONS)
    if not program.ok():
        raise InvalidSearchError(
            f"q={pattern!r} is not a regular expression openboard can run: {program.error().decode()}",
            "searches use RE2 syntax (no backreferences or lookaround, repetitions up to {1000}); "
            "escape special characters with a backslash, or search for plain text",
        )
    if program.ProgramSize() > MAX_PROGRAM_SIZE:
        raise InvalidSearchError(
            f"q={pattern!r} compiles to {program.ProgramSize():,} steps; at most "
            f"{MAX_PROGRAM_SIZE:,}",
            "use fewer or smaller repetitions ({n} counts), or search for plain text",
        )
    return CompiledPattern(program)


def pattern_search(pattern: str, text: str | None) -> bool:
    """Whether `text` contains a match of `pattern` (SQLite's openboard_regexp)."""
    return text is not None and compiled_pattern(pattern).search(text)


@dataclass(frozen=True, slots=True)
class SearchGroup:
    name: str = ""  # matched against the model id; "" matches every model
    name_is_regex: bool = False
    fields: dict[str, str] = field(default_factory=dict)  # field -> case-insensitive substring
    # Substrings every match of the regular expression contains: a cheap index-friendly test
    # the database runs before the expression itself.
    required: tuple[str, ...] = ()


_QUANTIFIERS = set("?*{")
# ASCII letters whose case-insensitive RE2 match includes a non-ASCII letter: K (KELVIN SIGN,
# U+212A) and s (LONG S, U+017F). No other ASCII character has one (checked over every code point).
_FOLDS_OUT_OF_ASCII = frozenset("kKsS")


def _prefilterable(char: str) -> bool:
    """Whether a required `char` can be tested with the databases' case-insensitive LIKE: their
    lower() folds case their own way (SQLite's A-Z only), RE2 folds every letter, so only a
    character whose every case-insensitive match is ASCII gives the same answer on all three.
    Text with any other breaks the run: `(?i)ÜNÏ` must find `Ünïcode`, `(?i)kelvin` its
    spelling with the KELVIN SIGN."""
    return char.isascii() and char not in _FOLDS_OUT_OF_ASCII


def required_literals(pattern: str) -> tuple[str, ...]:
    """Plain runs of text that every match of `pattern` must contain (conservative: when in
    doubt, nothing). Top-level alternation means nothing is required. Only `_prefilterable`
    characters count as text."""
    runs: list[str] = []
    run = ""
    depth = 0
    i = 0
    while i < len(pattern):
        char = pattern[i]
        literal: str | None = None
        if char == "\\" and i + 1 < len(pattern):
            escaped = pattern[i + 1]
            literal = None if escaped.isalnum() or not _prefilterable(escaped) else escaped
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
        elif depth == 0 and char not in "^$.+?*{}" and _prefilterable(char):
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
            f"the search q is {len(text)} characters long; at most {MAX_SEARCH_CHARS}",
            "search for fewer things at once",
        )
    if any(char < " " and char not in "\t\n\r" for char in text):
        raise InvalidSearchError(
            "the search q contains a control character (such as a NUL byte)",
            "search for printable text only",
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
            compiled_pattern(name)
        required = required_literals(name) if is_regex else ()
        groups.append(
            SearchGroup(name=name, name_is_regex=is_regex, fields=fields, required=required)
        )
    return groups


@dataclass(frozen=True, slots=True)
class _CompiledGroup:
    name: CompiledPattern | None  # None: every name
    substring: str  # the name's lowercased text when it is no regular expression
    fields: tuple[tuple[str, str], ...]  # (field, lowercased substring)

    def matches(self, model: str, fields: Mapping[str, str | None]) -> bool:
        if self.name is not None and not self.name.search(model):
            return False
        if self.substring and self.substring not in model.lower():
            return False
        return all(value in (fields.get(key) or "").lower() for key, value in self.fields)


@dataclass(frozen=True, slots=True)
class SearchMatcher:
    """A parsed search compiled once; `matches` answers for one row in time linear in its text."""

    groups: tuple[_CompiledGroup, ...]

    def matches(self, model: str, fields: Mapping[str, str | None]) -> bool:
        """Whether the row of `model` matches; `fields` maps SEARCH_FIELDS names to the row's
        text (architecture, license, precision, type; missing or None matches no filter)."""
        return not self.groups or any(g.matches(model, fields) for g in self.groups)


def compile_search(groups: Sequence[SearchGroup]) -> SearchMatcher:
    """The matcher for `parse_search`'s groups (no group: every row matches)."""
    return SearchMatcher(
        tuple(
            _CompiledGroup(
                name=compiled_pattern(g.name) if g.name_is_regex else None,
                substring="" if g.name_is_regex else g.name.lower(),
                fields=tuple((k, v.lower()) for k, v in g.fields.items()),
            )
            for g in groups
        )
    )
