"""Retention: what `openboard prune` may remove, decided by pure rules over what the store needs."""

from openboard.retention._plan import (
    Candidate,
    CandidateKind,
    PruneItem,
    RetentionPolicy,
    plan_prune,
)
from openboard.retention._scan import apply_prune, scan_candidates

__all__ = [
    "Candidate",
    "CandidateKind",
    "PruneItem",
    "RetentionPolicy",
    "apply_prune",
    "plan_prune",
    "scan_candidates",
]
