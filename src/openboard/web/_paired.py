"""The compare page's paired test: the first two models' difference per benchmark and for the
average, by a paired bootstrap over the documents both were evaluated on; where the documents
differ (another suite version, a limit) or a result kept no outcomes, each model's own interval."""

from pathlib import Path
from typing import Any

from openboard.domain import AVERAGE
from openboard.evaluation import (
    OUTCOMES_FILE,
    ResultsFormatError,
    Suite,
    interval_record,
    read_outcomes,
)
from openboard.stats import NotPairedError, PairedDifference, paired_differences
from openboard.store import Store

__all__ = ["paired_payload"]


def _reading(d: PairedDifference, a: str, b: str, what: str) -> str:
    leads = f"{a} led in {d.a_leads:.0%} of the resamples"
    p = "p < 0.001" if d.p_value < 0.001 else f"p = {d.p_value:.3f}"
    if d.excludes_zero:
        ahead, behind = (a, b) if d.difference > 0 else (b, a)
        return (f"{ahead} scores higher than {behind} on {what} by more than resampling the "
                f"questions explains ({leads}; {p}).")  # fmt: skip
    return (
        f"Within what resampling the questions gives: treat them as tied on {what} ({leads}; {p})."
    )


def paired_payload(
    store: Store, artifacts: Path | None, suite: Suite, a: dict[str, Any], b: dict[str, Any]
) -> dict[str, Any]:
    """`a`, `b`: the compare payload's model entries (model, request_id)."""
    names = {x.name: x.display_name for x in suite.benchmarks} | {AVERAGE: "the average"}
    unpaired = {
        m["model"]: {i.benchmark: interval_record(i) for i in store.intervals.of(m["request_id"])}
        for m in (a, b)
    }
    base = {"a": a["model"], "b": b["model"], "intervals": unpaired}
    if artifacts is None:
        return {**base, "paired": False, "reason": "this server keeps no evaluation files"}
    try:
        outcomes = [read_outcomes(artifacts / str(m["request_id"]) / OUTCOMES_FILE) for m in (a, b)]
    except ResultsFormatError as exc:
        return {**base, "paired": False, "reason": str(exc)}
    if outcomes[0] is None or outcomes[1] is None:
        return {**base, "paired": False,
                "reason": "a result kept no per-sample outcomes (an import, or one not yet "
                          "backfilled: openboard intervals)"}  # fmt: skip
    try:
        differences = paired_differences(outcomes[0], outcomes[1])
    except NotPairedError as exc:
        return {**base, "paired": False, "reason": f"{exc.message}: the comparison is not paired"}
    return {**base, "paired": True, "differences": [
        {"benchmark": d.benchmark, "display_name": names.get(d.benchmark, d.benchmark),
         "difference": d.difference, "low": d.low, "high": d.high, "a_leads": d.a_leads,
         "p_value": d.p_value, "excludes_zero": d.excludes_zero, "documents": d.documents,
         "resamples": d.resamples,
         "reading": _reading(d, a["model"], b["model"], names.get(d.benchmark, d.benchmark))}
        for d in differences
    ]}  # fmt: skip
