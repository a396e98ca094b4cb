"""The suites openboard knows, by name."""

from openboard.domain import OpenboardError
from openboard.evaluation._suites import STARTER, Suite
from openboard.evaluation._v2 import V2

SUITES: dict[str, Suite] = {suite.name: suite for suite in (STARTER, V2)}


class UnknownSuiteError(OpenboardError):
    pass


def get_suite(name: str) -> Suite:
    try:
        return SUITES[name]
    except KeyError:
        raise UnknownSuiteError(
            f"unknown suite {name!r}", f"choose one of: {', '.join(sorted(SUITES))}"
        ) from None
