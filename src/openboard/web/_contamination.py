"""The contamination test's evidence on the model page and in its JSON twin, with a plain reading."""

from typing import Any

from openboard.store import ContaminationEvidence, Store

__all__ = ["ALPHA", "LIMITS", "contamination_records"]

ALPHA = 0.01  # the level the plain reading uses; the p-value itself is shown and exported
LIMITS = (
    "The test (Oren et al., ICLR 2024) asks whether the model prefers the benchmark's examples in "
    "their published order to shuffles of the same examples. It detects verbatim exposure in the "
    "published order only: not paraphrases, translations, shuffled copies, or exposure too slight "
    "to move the likelihood, and a benchmark whose published order is itself not random (sorted by "
    "topic, say) can prefer it without exposure. It is evidence, not a verdict: openboard never "
    "flags a model by itself; a moderator decides."
)


def _reading(e: ContaminationEvidence) -> str:
    if e.p_value is None:
        return e.note or "not tested"
    if e.p_value < ALPHA:
        return (f"evidence that the model saw this benchmark in its published order "
                f"(p = {e.p_value:.2g} < α = {ALPHA})")  # fmt: skip
    return f"no evidence at α = {ALPHA} (p = {e.p_value:.2g})"


def contamination_records(store: Store, request_id: int) -> list[dict[str, Any]]:
    return [
        {
            "benchmark": e.benchmark,
            "method": e.method,
            "p_value": e.p_value,
            "evidence": e.p_value is not None and e.p_value < ALPHA,
            "alpha": ALPHA,
            "reading": _reading(e),
            "statistic": e.statistic,
            "mean_difference_nats": e.mean_difference,
            "shards": e.shards,
            "shard_size": e.shard_size,
            "permutations": e.permutations,
            "examples": e.examples,
            "truncated": e.truncated,
            "seed": e.seed,
            "cost_share": e.cost_share,
            "seconds": e.seconds,
            "versions": e.versions,
            "note": e.note,
            "recorded_at": e.recorded_at.isoformat(),
        }
        for e in store.contamination.for_requests([request_id])[request_id]
    ]
