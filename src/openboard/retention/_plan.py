"""The rules of `openboard prune`, as a pure function: nothing a current result or a queued or
running evaluation needs is ever chosen."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from openboard.store import RetentionFacts

__all__ = ["Candidate", "CandidateKind", "PruneItem", "RetentionPolicy", "plan_prune"]


class CandidateKind(StrEnum):
    CHECKOUT = "checkout"  # checkouts/<org>/<name>/<sha>: an exported commit for an evaluation
    MODEL_CACHE = "model cache"  # a Hub download of one commit (source = hub)
    SAMPLES = "samples"  # artifacts/<id>/samples*.jsonl.gz of a result
    ARTIFACTS = "artifacts"  # artifacts/<id>/ of a request that no longer exists


@dataclass(frozen=True, slots=True)
class Candidate:
    kind: CandidateKind
    path: Path
    bytes: int
    modified: datetime
    model: str | None = None  # checkouts and caches: the commit they hold
    sha: str | None = None
    request_id: int | None = None  # samples and artifacts: whose


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """Days to keep each kind once nothing needs it; None keeps it for ever."""

    checkout_days: float | None = 1
    model_cache_days: float | None = 7
    samples_days: float | None = 30


@dataclass(frozen=True, slots=True)
class PruneItem:
    candidate: Candidate
    reason: str


def plan_prune(
    candidates: Iterable[Candidate], facts: RetentionFacts, policy: RetentionPolicy, now: datetime
) -> list[PruneItem]:
    return [item for c in candidates if (item := _judge(c, facts, policy, now)) is not None]


def _judge(
    c: Candidate, facts: RetentionFacts, policy: RetentionPolicy, now: datetime
) -> PruneItem | None:
    if c.kind in (CandidateKind.CHECKOUT, CandidateKind.MODEL_CACHE):
        days = policy.checkout_days if c.kind is CandidateKind.CHECKOUT else policy.model_cache_days
        if (c.model, c.sha) in facts.active_commits or not _older(c.modified, days, now):
            return None
        return PruneItem(c, f"no queued or running request needs it, unused for {days:g} days")
    assert c.request_id is not None
    if c.kind is CandidateKind.ARTIFACTS:
        # Deleted requests only; a live request's folder is judged file by file (its samples).
        deleted = facts.deleted_at.get(c.request_id)
        if c.request_id in facts.request_ids or deleted is None:
            return None  # a folder whose deletion was never audited is not ours to judge
        if not _older(deleted, policy.samples_days, now):
            return None
        return PruneItem(c, f"request {c.request_id} was deleted {deleted:%Y-%m-%d}")
    hidden = facts.hidden_since.get(c.request_id)
    if hidden is None or not _older(hidden, policy.samples_days, now):
        return None
    return PruneItem(c, f"request {c.request_id}'s result is hidden since {hidden:%Y-%m-%d}")


def _older(since: datetime, days: float | None, now: datetime) -> bool:
    return days is not None and now - since >= timedelta(days=days)
