"""The contamination stage of a worker: after the evaluation, in the evaluation process, on the
same model, device and dtype; its evidence is stored once the request's result is recorded."""

import logging
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from openboard.config import Settings
from openboard.contamination import (
    EVIDENCE_SCHEMA_VERSION,
    Evidence,
    OrderScorer,
    ProbeSettings,
    read_evidence,
    run_probe,
    write_evidence,
)
from openboard.domain import OpenboardError, WeightType
from openboard.evaluation import EvaluationSpec
from openboard.stats import METHOD
from openboard.store import ContaminationEvidence, Store

__all__ = ["contamination_stage", "store_evidence"]

log = logging.getLogger(__name__)


def _probe_settings(settings: Settings) -> ProbeSettings:
    return ProbeSettings(
        examples=settings.contamination_examples,
        shard_size=settings.contamination_shard_size,
        permutations=settings.contamination_permutations,
        budget=settings.contamination_budget,
        seed=settings.seed,
    )


def _not_tested(spec: EvaluationSpec, settings: ProbeSettings, note: str) -> list[Evidence]:
    return [
        Evidence(
            benchmark=b.name,
            method=METHOD,
            p_value=None,
            statistic=None,
            mean_difference=None,
            shards=0,
            shard_size=settings.shard_size,
            permutations=settings.permutations,
            examples=0,
            truncated=0,
            seed=settings.seed,
            cost_share=0.0,
            seconds=0.0,
            versions={},
            note=note,
        )
        for b in spec.suite.benchmarks
    ]


def contamination_stage(
    settings: Settings,
    spec: EvaluationSpec,
    workdir: Path,
    progress: Callable[[int, int], None],
    switch: bool | None = None,
) -> None:
    """Run the test when an admin turned it on for the request (`switch`), or, with no switch,
    when the suite has it on; leave its evidence in `workdir`. A model the test cannot read
    (quantized, an adapter) gets evidence that says so instead of a p-value."""
    wanted = spec.suite.name in settings.contamination_suites if switch is None else switch
    if not wanted:
        return
    probe = _probe_settings(settings)
    log.info("contamination test: %d benchmark(s)", len(spec.suite.benchmarks))
    if spec.weight_type is not WeightType.ORIGINAL:
        evidence = _not_tested(
            spec, probe, f"not tested: {spec.weight_type} weights are not probed"
        )
    else:
        try:
            # A shard's orders in one forward pass: they have the same length.
            scorer = OrderScorer.load(
                spec.model_path, spec.precision, spec.device, batch_size=1 + probe.permutations
            )
        except OpenboardError as exc:
            evidence = _not_tested(spec, probe, f"not tested: {exc}")
        else:
            evidence = run_probe(scorer, spec.suite, workdir, probe, progress)
    write_evidence(workdir, evidence)


def store_evidence(
    store: Store, request_id: int, artifacts: Path, at: datetime, actor: str
) -> None:
    """The stage's evidence in a recorded request's artifacts, into the store (none: nothing)."""
    evidence = read_evidence(artifacts)
    if evidence:
        store.contamination.record(request_id, [
            ContaminationEvidence(request_id=request_id, schema_version=EVIDENCE_SCHEMA_VERSION,
                                  recorded_at=at, **asdict(e))
            for e in evidence
        ], actor, at)  # fmt: skip
