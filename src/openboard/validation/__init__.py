"""Pure submission rules: each check is a function of a model snapshot, the request and the policy."""

from openboard.validation._catalogue import CHECKS, catalogued
from openboard.validation._checks import ALL_CHECKS, Check
from openboard.validation._policy import ValidationPolicy
from openboard.validation._traits import ModelTraits, count_parameters, model_traits
from openboard.validation._verdict import source_failure_verdict, validate

__all__ = [
    "ALL_CHECKS",
    "CHECKS",
    "Check",
    "ModelTraits",
    "ValidationPolicy",
    "catalogued",
    "count_parameters",
    "model_traits",
    "source_failure_verdict",
    "validate",
]
