"""Pure submission rules: each check is a function of a model snapshot, the request and the policy,
registered once with its name, its documentation and its stage (`_rules`)."""

from openboard.validation._catalogue import ALL_CHECKS, CHECKS, docs_table, with_docs_table
from openboard.validation._policy import ValidationPolicy
from openboard.validation._rules import (
    ADMISSION,
    BASE_MODEL,
    MODEL_ID,
    REQUEST,
    RULES,
    SOURCE,
    Check,
    Rule,
    Stage,
    catalogued,
)
from openboard.validation._traits import ModelTraits, count_parameters, model_traits
from openboard.validation._verdict import source_failure_verdict, validate

__all__ = [
    "ADMISSION",
    "ALL_CHECKS",
    "BASE_MODEL",
    "CHECKS",
    "MODEL_ID",
    "REQUEST",
    "RULES",
    "SOURCE",
    "Check",
    "ModelTraits",
    "Rule",
    "Stage",
    "ValidationPolicy",
    "catalogued",
    "count_parameters",
    "docs_table",
    "model_traits",
    "source_failure_verdict",
    "validate",
    "with_docs_table",
]
