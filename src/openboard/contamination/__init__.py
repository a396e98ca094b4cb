"""Contamination evidence: the sharded exchangeability test of Oren et al. (ICLR 2024) run on an
evaluated model, per benchmark. The statistics are `openboard.stats`'; this package holds the
model I/O (log-likelihoods through transformers) and the worker's stage around them."""

from openboard.contamination._examples import BenchmarkExamples, benchmark_examples
from openboard.contamination._likelihood import OrderScorer, Tokenized
from openboard.contamination._probe import (
    EVIDENCE_FILE,
    EVIDENCE_SCHEMA_VERSION,
    Evidence,
    ProbeSettings,
    read_evidence,
    run_probe,
    write_evidence,
)

__all__ = [
    "EVIDENCE_FILE",
    "EVIDENCE_SCHEMA_VERSION",
    "BenchmarkExamples",
    "Evidence",
    "OrderScorer",
    "ProbeSettings",
    "Tokenized",
    "benchmark_examples",
    "read_evidence",
    "run_probe",
    "write_evidence",
]
