"""The suites openboard knows, by name: the built-in ones and an operator's suite files."""

from pathlib import Path

from openboard.domain import OpenboardError
from openboard.evaluation._suite_files import load_suite_file
from openboard.evaluation._suites import STARTER, Suite
from openboard.evaluation._v1 import V1
from openboard.evaluation._v2 import V2

SUITES: dict[str, Suite] = {suite.name: suite for suite in (STARTER, V2, V1)}


class UnknownSuiteError(OpenboardError):
    pass


def all_suites(suites_dir: Path | None = None) -> dict[str, Suite]:
    """Built-in suites plus every `*.toml` in `suites_dir`; a file may not redefine a built-in."""
    found = dict(SUITES)
    if suites_dir is not None and suites_dir.is_dir():
        for path in sorted(suites_dir.glob("*.toml")):
            suite = load_suite_file(path)
            if suite.name in found:
                raise UnknownSuiteError(
                    f"suite file {path} redefines the suite {suite.name!r}",
                    "give the suite in the file another name",
                )
            found[suite.name] = suite
    return found


def get_suite(name: str, suites_dir: Path | None = None) -> Suite:
    suites = all_suites(suites_dir)
    try:
        return suites[name]
    except KeyError:
        raise UnknownSuiteError(
            f"unknown suite {name!r}",
            f"choose one of: {', '.join(sorted(suites))}, or add {name}.toml to {suites_dir}",
        ) from None
