"""The public leaderboard's `contents` table (parquet, one row per evaluated model and precision):
what described each model on the site, and the site's own scores, read with pyarrow.

Two layouts were published. v2's (open-llm-leaderboard/contents) and v1's
(open-llm-leaderboard-old/contents: 26 columns, 7,260 rows) share the model's columns (eval_name,
Precision, Type, T, Weight type, Architecture, Model, fullname, Model sha, Average ⬆️, Hub License,
Hub ❤️, #Params (B), Available on the hub, Merged, MoE, Flagged, Chat Template); v1 names the
submission date `date`, marks `Maintainers Choice` where v2 has `Official Providers`, has no CO₂,
base model, upload date or generation, and scores ARC, HellaSwag, MMLU, TruthfulQA, Winogrande and
GSM8K (0-100, no normalization, no raw columns) where v2 has its six normalized benchmarks."""

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from openboard.archive._errors import ArchiveError, ArchiveFileError
from openboard.domain import ModelType, Precision, WeightType

__all__ = ["PUBLIC_BENCHMARKS", "V1_BENCHMARKS", "ContentsRow", "ContentsTable", "read_contents"]

# The columns openboard reads; the others are kept in the stored row as published.
MODEL, PRECISION, TYPE, SYMBOL, SHA = "fullname", "Precision", "Type", "T", "Model sha"
# The site's normalized score columns → openboard's v2 benchmark names.
PUBLIC_BENCHMARKS = {
    "IFEval": "ifeval", "BBH": "bbh", "MATH Lvl 5": "math", "GPQA": "gpqa", "MUSR": "musr",
    "MMLU-PRO": "mmlu_pro",
}  # fmt: skip
# v1's score columns → openboard's v1 benchmark names.
V1_BENCHMARKS = {
    "ARC": "arc", "HellaSwag": "hellaswag", "MMLU": "mmlu", "TruthfulQA": "truthfulqa",
    "Winogrande": "winogrande", "GSM8K": "gsm8k",
}  # fmt: skip
PUBLIC_AVERAGE = "Average ⬆️"
SUBMITTED = ("Submission Date", "date")  # v2's name, then v1's
_TYPES = (  # the words after the symbol in the site's `Type` strings, most specific first
    ("continuously pretrained", ModelType.CONTINUOUSLY_PRETRAINED),
    ("pretrained", ModelType.PRETRAINED),
    ("fine-tuned", ModelType.FINE_TUNED),
    ("chat", ModelType.CHAT),
    # v1's first types, which its own code read as chat models.
    ("instruction-tuned", ModelType.CHAT),
    ("rl-tuned", ModelType.CHAT),
    ("base merges", ModelType.MERGE),
    ("merge", ModelType.MERGE),
    ("multimodal", ModelType.MULTIMODAL),
)
# A type given by its symbol only (`T`, or a v1 `Type` without words): v1's ⭕ instruction-tuned
# and 🟦 RL-tuned were chat models.
_SYMBOLS = {t.symbol: t for t in ModelType} | {"⭕": ModelType.CHAT, "🟦": ModelType.CHAT}


@dataclass(frozen=True, slots=True)
class ContentsRow:
    """One model's row, typed; `published` is the whole row as JSON-safe values."""

    model: str
    precision: str
    suite: str  # the layout's suite: v2, or v1 (whose score columns are v1's benchmarks)
    model_type: ModelType | None  # None: a type string openboard does not know (`type_text`)
    type_text: str
    weight_type: WeightType
    revision: str
    architectures: list[str]
    params: int | None
    license: str | None
    merged: bool
    moe: bool
    available: bool | None
    base_model: str | None
    submitted: datetime | None
    co2_kg: float | None
    public_scores: dict[str, float]  # openboard benchmark (of `suite`) → the site's score
    public_average: float | None
    published: dict[str, Any]


@dataclass(frozen=True, slots=True)
class ContentsTable:
    suite: str  # v2, or v1: the layout the table was published in
    rows: Mapping[tuple[str, str], ContentsRow]  # (model, precision)
    by_model: Mapping[str, list[ContentsRow]]

    def find(self, model: str, precision: Precision) -> tuple[ContentsRow | None, bool]:
        """The model's row at `precision`; else its only row, with True: the precisions disagree."""
        row = self.rows.get((model, precision.value))
        if row is not None:
            return row, False
        others = self.by_model.get(model, [])
        return (others[0], True) if len(others) == 1 else (None, False)


def read_contents(path: Path) -> ContentsTable:
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException) as exc:
        raise ArchiveError(
            f"cannot read the contents table {path}: {exc}",
            "give the parquet file of the open-llm-leaderboard/contents dataset",
        ) from exc
    missing = [c for c in (MODEL, PRECISION, TYPE) if c not in table.column_names]
    if missing:
        raise ArchiveError(
            f"{path} lacks the column{'s' if len(missing) > 1 else ''} {', '.join(missing)}",
            "give the parquet file of the open-llm-leaderboard/contents dataset",
        )
    suite = _layout(table.column_names)
    scores = V1_BENCHMARKS if suite == "v1" else PUBLIC_BENCHMARKS
    rows: dict[tuple[str, str], ContentsRow] = {}
    by_model: dict[str, list[ContentsRow]] = {}
    for record in table.to_pylist():
        row = _row(record, suite, scores)
        rows[(row.model, row.precision)] = row
        by_model.setdefault(row.model, []).append(row)
    return ContentsTable(suite, rows, by_model)


def _layout(columns: list[str]) -> str:
    """v1 when the table has v1's score columns and none of v2's."""
    v1 = all(c in columns for c in V1_BENCHMARKS)
    return "v1" if v1 and not any(c in columns for c in PUBLIC_BENCHMARKS) else "v2"


def _row(record: dict[str, Any], suite: str, scores: Mapping[str, str]) -> ContentsRow:
    published = {str(k): _json_safe(v) for k, v in record.items()}
    # An unknown type string is refused (type_error); only an empty one defers to the symbol `T`.
    type_text = str(record.get(TYPE) or "") or str(record.get(SYMBOL) or "")
    weight = str(record.get("Weight type") or "Original")
    params = _float(record.get("#Params (B)"))
    architecture = record.get("Architecture")
    return ContentsRow(
        model=str(record.get(MODEL) or ""),
        precision=str(record.get(PRECISION) or ""),
        suite=suite,
        model_type=model_type_of(type_text),
        type_text=type_text,
        weight_type=WeightType(weight)
        if weight in WeightType.__members__.values()
        else WeightType.ORIGINAL,
        revision=str(record.get(SHA) or ""),
        architectures=[str(architecture)] if architecture and architecture != "?" else [],
        params=round(params * 1e9) if params is not None and params > 0 else None,
        license=_text(record.get("Hub License")),
        merged=bool(record.get("Merged")),
        moe=bool(record.get("MoE")),
        available=None
        if record.get("Available on the hub") is None
        else bool(record["Available on the hub"]),
        base_model=_text(record.get("Base Model")),
        submitted=next((t for c in SUBMITTED if (t := _time(record.get(c))) is not None), None),
        co2_kg=_float(record.get("CO₂ cost (kg)")),
        public_scores={
            ours: value
            for theirs, ours in scores.items()
            if (value := _float(record.get(theirs))) is not None
        },
        public_average=_float(record.get(PUBLIC_AVERAGE)),
        published=published,
    )


def model_type_of(text: str) -> ModelType | None:
    words = text.lower()
    for prefix, kind in _TYPES:
        if prefix in words:
            return kind
    return next((kind for symbol, kind in _SYMBOLS.items() if symbol in text), None)


def type_error(row: ContentsRow) -> ArchiveFileError:
    return ArchiveFileError(
        f"unknown model type {row.type_text!r} in the contents table",
        f"openboard knows {', '.join(t.value for t in ModelType)}; "
        "set it afterwards with `openboard admin set-type`, or fix the table",
    )


def _float(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: object) -> str | None:
    return str(value)[:200] if isinstance(value, str) and value and value != "?" else None


def _time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    if isinstance(value, str) and value:
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return None


def _json_safe(value: object) -> object:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)
