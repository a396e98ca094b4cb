"""Pure submission rules: each check is a function of a model snapshot, the request and the policy."""

from openboard.validation._checks import ALL_CHECKS, Check
from openboard.validation._policy import ValidationPolicy
from openboard.validation._verdict import source_failure_verdict, validate

__all__ = ["ALL_CHECKS", "Check", "ValidationPolicy", "source_failure_verdict", "validate"]
