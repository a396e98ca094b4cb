"""Retention: what `openboard prune` may remove, decided by pure rules over what the store needs."""

from openboard.retention._plan import (
    Candidate,
    CandidateKind,
    PruneItem,
    RetentionPolicy,
    plan_prune,
)
from openboard.retention._scan import apply_prune, disk_usage, scan_candidates

__all__ = [
    "Candidate",
    "CandidateKind",
    "PruneItem",
    "RetentionPolicy",
    "apply_prune",
    "disk_usage",
    "plan_prune",
    "scan_candidates",
]
