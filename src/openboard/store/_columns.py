"""The board's rows as the read model holds them: `COLUMNS` (the store's query), per-column
vocabularies (codes for text), and `board_columns`, which turns the SQL rows into numpy arrays."""

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from openboard.domain import Origin
from openboard.store._board import FIGURE_SORTS
from openboard.store._names import NameIndex
from openboard.store._records import Flag
from openboard.store._time import as_utc

__all__ = ["COLUMNS", "NO_COUNT", "Changes", "Dictionaries", "Vocabulary", "board_columns"]

Mask = npt.NDArray[np.bool_]
_EPOCH = np.datetime64("1970-01-01T00:00:00", "us")
NO_COUNT = np.iinfo(np.int64).min  # an optional integer column's "none" (no count is negative)

# One row of `board_columns` per request on the board, in this order (the store's query).
COLUMNS = ("id", "model", "namespace", "suite", "model_type", "precision", "params", "merged",
           "moe", "available", "license", "architectures", "average", "submitted_time",
           "origin", "revision", *FIGURE_SORTS.values(),
           # shown on the page only (`ShownRequest`)
           "weight_type", "use_chat_template", "base_model", "eval_backend", "eval_tokens",
           "eval_limit", "data_modified", "unavailable_reason")  # fmt: skip


class Vocabulary:
    """Distinct values of a low-cardinality column by code; append-only (shared by versions)."""

    def __init__(self) -> None:
        self.values: list[Any] = []
        self._codes: dict[Any, int] = {}

    def find(self, value: Any) -> int:
        """The value's code, -1 when no row has it (a reader's lookup adds nothing)."""
        return self._codes.get(value, -1)

    def code(self, value: Any) -> int:
        found = self._codes.get(value)
        if found is None:
            found = self._codes.setdefault(value, len(self.values))
            if found == len(self.values):
                self.values.append(value)
        return found

    def codes(self, values: Sequence[Any], dtype: type[np.integer[Any]]) -> npt.NDArray[Any]:
        return np.fromiter((self.code(v) for v in values), dtype, len(values))

    def table(self, keep: Callable[[Any], bool]) -> Mask:
        """A lookup by code: whether `keep` takes the value."""
        return np.fromiter((keep(v) for v in self.values), bool, len(self.values))


@dataclass(frozen=True, slots=True)
class Changes:
    """What moved between two versions: the rows of the requests whose state may differ (those
    still on the board) and, when flags moved, every model's flag."""

    touched: frozenset[int]  # request ids read again
    columns: dict[str, list[Any]]  # COLUMNS of those now on the board
    scores: list[tuple[int, str, float, float]]  # request id, benchmark, raw, normalized
    flagged: Mapping[str, Flag] | None  # None: flags unchanged
    intervals: list[tuple[int, str, float, float]] = field(
        default_factory=list
    )  # id, name, low, high
    official: frozenset[str] | None = None  # the official namespaces; None: unchanged
    p_values: list[tuple[int, str, float]] = field(default_factory=list)  # id, benchmark, p


@dataclass(slots=True)
class Dictionaries:
    names: NameIndex
    namespaces: Vocabulary = field(default_factory=Vocabulary)
    suites: Vocabulary = field(default_factory=Vocabulary)
    types: Vocabulary = field(default_factory=Vocabulary)
    precisions: Vocabulary = field(default_factory=Vocabulary)
    licenses: Vocabulary = field(default_factory=Vocabulary)
    architectures: Vocabulary = field(default_factory=Vocabulary)
    twins: Vocabulary = field(default_factory=Vocabulary)  # (model, commit, precision, suite)
    weight_types: Vocabulary = field(default_factory=Vocabulary)
    base_models: Vocabulary = field(default_factory=Vocabulary)
    backends: Vocabulary = field(default_factory=Vocabulary)
    reasons: Vocabulary = field(default_factory=Vocabulary)  # why a commit is unavailable
    # architectures code -> the list its JSON text holds (decoded once, when first shown)
    architecture_lists: dict[int, tuple[str, ...]] = field(default_factory=dict)

    def architectures_of(self, code: int) -> tuple[str, ...]:
        found = self.architecture_lists.get(code)
        if found is None:
            text = self.architectures.values[code]
            found = self.architecture_lists[code] = tuple(json.loads(text) or () if text else ())
        return found


def _microseconds(times: Sequence[datetime]) -> npt.NDArray[np.int64]:
    naive = [as_utc(t).replace(tzinfo=None) for t in times]
    return (np.array(naive, "datetime64[us]") - _EPOCH).astype(np.int64)


def board_columns(d: Dictionaries, columns: Mapping[str, list[Any]]) -> dict[str, npt.NDArray[Any]]:
    """The SQL rows' columns as arrays (codes for text)."""
    n = len(columns["id"])
    params = columns["params"]
    return {
        "id": np.array(columns["id"], np.int64).reshape(n),
        "model": np.fromiter((d.names.code(m) for m in columns["model"]), np.int32, n),
        "namespace": d.namespaces.codes(columns["namespace"], np.int32),
        "suite": d.suites.codes(columns["suite"], np.int16),
        "model_type": d.types.codes(columns["model_type"], np.int8),
        "precision": d.precisions.codes(columns["precision"], np.int8),
        "params": np.fromiter((p or 0 for p in params), np.int64, n),
        "params_known": np.fromiter((p is not None for p in params), bool, n),
        "merged": np.array(columns["merged"], bool).reshape(n),
        "moe": np.array(columns["moe"], bool).reshape(n),
        "available": np.fromiter(
            (-1 if a is None else int(bool(a)) for a in columns["available"]), np.int8, n
        ),
        "license": d.licenses.codes(columns["license"], np.int32),
        "architectures": d.architectures.codes(columns["architectures"], np.int32),
        "average": np.array(columns["average"], np.float64).reshape(n),
        "submitted": _microseconds(columns["submitted_time"]).reshape(n),
        "live": np.ones(n, bool),
        "archive": np.fromiter((o == Origin.ARCHIVE.value for o in columns["origin"]), bool, n),
        "twin": d.twins.codes(_twin_keys(columns), np.int32),
        "weight_type": d.weight_types.codes(columns["weight_type"], np.int32),
        "chat_template": np.array(columns["use_chat_template"], bool).reshape(n),
        "base_model": d.base_models.codes(columns["base_model"], np.int32),
        "backend": d.backends.codes(columns["eval_backend"], np.int32),
        "eval_tokens": _counts(columns["eval_tokens"]),
        "eval_limit": _counts(columns["eval_limit"]),
        "data_modified": np.array(columns["data_modified"], bool).reshape(n),
        "unavailable_reason": d.reasons.codes(columns["unavailable_reason"], np.int32),
        # by sort key; NaN: no figure
        **{
            key: np.array(columns[name], np.float64).reshape(n)
            for key, name in FIGURE_SORTS.items()
        },
    }


def _counts(values: Sequence[int | None]) -> npt.NDArray[np.int64]:
    return np.fromiter((NO_COUNT if v is None else v for v in values), np.int64, len(values))


def _twin_keys(columns: Mapping[str, list[Any]]) -> list[tuple[Any, ...]]:
    """What makes two rows the same evaluation of different origins (`BoardSnapshot._twinned`)."""
    keys = ("model", "revision", "precision", "suite")
    return list(zip(*(columns[k] for k in keys), strict=True))
