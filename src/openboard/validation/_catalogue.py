"""The catalogue of every registered rule, and docs/validation.md's table made from it."""

import re

from openboard.domain import OpenboardError
from openboard.validation import _checks, _weight_types  # noqa: F401  (they register the rules)
from openboard.validation._rules import FILE_CHECKS, RULES, STAGE_DOCS, Check, Stage

CHECKS: dict[str, str] = {
    r.name: r.doc for r in sorted(RULES.values(), key=lambda r: list(Stage).index(r.stage))
}
ALL_CHECKS: tuple[Check, ...] = tuple(FILE_CHECKS)

_BEGIN = "<!-- the table of checks: made by `openboard dev validation-docs`; do not edit -->"
_END = "<!-- end of the table of checks -->"
_BLOCK = re.compile(re.escape(_BEGIN) + r".*?" + re.escape(_END), re.S)


def docs_table() -> str:
    """Markdown: every check a verdict can name, the stage it runs at and the rule."""
    rows = [f"| `{name}` | {RULES[name].stage} | {doc} |" for name, doc in CHECKS.items()]
    stages = [f"- **{s}**: {STAGE_DOCS[s]}" for s in Stage]
    return "\n".join([_BEGIN, "| check | stage | rule |", "|---|---|---|", *rows, "",
                      "Stages, in the order a verdict applies them:", "", *stages, _END])  # fmt: skip


def with_docs_table(text: str) -> str:
    """`text` (docs/validation.md) with its table of checks made anew."""
    if not _BLOCK.search(text):
        raise OpenboardError(
            "no table of checks to replace",
            f"put the lines {_BEGIN} and {_END} where the table goes",
        )
    return _BLOCK.sub(lambda _: docs_table(), text)
