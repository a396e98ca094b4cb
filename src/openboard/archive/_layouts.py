"""The public leaderboard's `results` files, as published, read into lm-eval's shape (pure).

Two layouts were used over time, both as `<org>/<model>/results_<timestamp>.json`:
- v2 (2024-2025): lm-eval's own output (`results` keyed by `leaderboard_*` tasks, `n-samples`,
  `config` with `model_sha` and `model_dtype`, top-level `model_name` and `chat_template`);
- v1 (2023-2024): lighteval's output (`config_general`, or `config` in the oldest files, with
  `model_name`, `model_sha`, `model_dtype`; `results` keyed by `harness|<task>|<shots>`).
A v1 file is translated to the lm-eval task names and metrics of openboard's `v1` suite, so that
both are scored by `score_suite` like a local evaluation.
"""

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openboard.archive._errors import ArchiveFileError
from openboard.domain import InvalidModelIdError, ModelId, Precision
from openboard.evaluation import V1

__all__ = ["ArchiveRun", "read_run", "run_time_of"]

_FILE_TIME = re.compile(
    r"results_(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})(?:\.(\d{1,6}))?\.json$"
)
_V1_MMLU = "harness|hendrycksTest-{subject}|5"
# v1 task key → (openboard v1 task, v1 metric, openboard metric key)
_V1_TASKS: dict[str, tuple[str, str, str]] = {
    "harness|arc:challenge|25": ("arc_challenge", "acc_norm", "acc_norm,none"),
    "harness|hellaswag|10": ("hellaswag", "acc_norm", "acc_norm,none"),
    "harness|truthfulqa:mc|0": ("truthfulqa_mc2", "mc2", "acc,none"),
    "harness|winogrande|5": ("winogrande", "acc", "acc,none"),
    "harness|gsm8k|5": ("gsm8k", "acc", "exact_match,strict-match"),
}
_DTYPES = {
    "torch.float16": Precision.FLOAT16, "float16": Precision.FLOAT16,
    "torch.bfloat16": Precision.BFLOAT16, "bfloat16": Precision.BFLOAT16,
    "8bit": Precision.INT8, "4bit": Precision.INT4, "GPTQ": Precision.GPTQ,
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class ArchiveRun:
    """One results file: whose run it was, and its per-task values in lm-eval's shape."""

    model: str
    revision: str  # the evaluated commit; "" when the file does not say
    precision: Precision
    suite: str  # "v2" or "v1"
    run_at: datetime
    results: dict[str, Any]  # {"results": {task: {"metric,filter": value}}, "n-samples": {...}}
    chat_template: bool
    params: int | None
    eval_seconds: float | None


def run_time_of(path: str) -> datetime | None:
    """The run's time from the file name `results_2024-06-26T20-33-46.345588.json` (UTC)."""
    found = _FILE_TIME.search(path)
    if found is None:
        return None
    day, hours, minutes, seconds, fraction = found.groups()
    micro = int((fraction or "0").ljust(6, "0"))
    try:
        parsed = datetime.fromisoformat(f"{day}T{hours}:{minutes}:{seconds}")
    except ValueError:
        return None
    return parsed.replace(microsecond=micro, tzinfo=UTC)


def read_run(path: str, document: object) -> ArchiveRun:
    """The run in a parsed results file at `path` (relative to the archive); ArchiveFileError
    names what is wrong with it."""
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        raise ArchiveFileError(
            "not a results file: no `results` object",
            "give the archive's results_<timestamp>.json files (lm-eval's or lighteval's output)",
        )
    results: dict[str, Any] = document["results"]
    run_at = run_time_of(path)
    if run_at is None:
        raise ArchiveFileError(
            "the file name carries no run time",
            "archive files are named results_<YYYY-MM-DDTHH-MM-SS.ffffff>.json",
        )
    if any(key.startswith("leaderboard") for key in results):
        return _v2(document, results, run_at)
    if any(key.startswith("harness|") for key in results):
        return _v1(document, results, run_at)
    raise ArchiveFileError(
        f"unknown task set: {', '.join(sorted(results)[:5]) or 'no tasks'}",
        "only the v2 (leaderboard_*) and v1 (harness|*) layouts of the public leaderboard are read",
    )


def _v2(document: dict[str, Any], results: dict[str, Any], run_at: datetime) -> ArchiveRun:
    config = document.get("config")
    config = config if isinstance(config, dict) else {}
    args = _model_args(config.get("model_args"))
    model = _model_id(document.get("model_name") or args.get("pretrained"))
    precision = _precision(config.get("model_dtype") or args.get("dtype"), args)
    seconds = _number(document.get("total_evaluation_time_seconds"))
    params = config.get("model_num_parameters")
    return ArchiveRun(
        model=model,
        revision=_sha(config.get("model_sha") or args.get("revision")),
        precision=precision,
        suite="v2",
        run_at=run_at,
        results={"results": results, "n-samples": document.get("n-samples") or {}},
        chat_template=bool(document.get("chat_template")),
        params=params if isinstance(params, int) and params > 0 else None,
        eval_seconds=seconds,
    )


def _v1(document: dict[str, Any], results: dict[str, Any], run_at: datetime) -> ArchiveRun:
    config = document.get("config_general") or document.get("config")
    config = config if isinstance(config, dict) else {}
    model = _model_id(config.get("model_name"))
    translated: dict[str, dict[str, Any]] = {}
    wanted = dict(_V1_TASKS) | {
        _V1_MMLU.format(subject=task.removeprefix("mmlu_")): (task, "acc", "acc,none")
        for task in next(b for b in V1.benchmarks if b.name == "mmlu").tasks
    }
    missing = [key for key in wanted if key not in results]
    if missing:
        raise ArchiveFileError(
            f"missing subtask{'s' if len(missing) > 1 else ''} {', '.join(missing[:3])}"
            + (f" and {len(missing) - 3} more" if len(missing) > 3 else ""),
            "the v1 suite needs ARC, HellaSwag, all 57 MMLU subjects, TruthfulQA, Winogrande and "
            "GSM8K; the oldest v1 files lack the last two",
        )
    for key, (task, metric, ours) in wanted.items():
        values = results[key]
        value = values.get(metric) if isinstance(values, dict) else None
        if value is None:
            raise ArchiveFileError(f"{key} has no {metric}", "the file is incomplete")
        stderr = values.get(f"{metric}_stderr")
        name, _, filter_name = ours.partition(",")
        translated[task] = {ours: value, f"{name}_stderr,{filter_name}": stderr}
    seconds = _number(config.get("total_evaluation_time_secondes"))
    return ArchiveRun(
        model=model,
        revision=_sha(config.get("model_sha")),
        precision=_precision(config.get("model_dtype"), {}),
        suite="v1",
        run_at=run_at,
        results={"results": translated, "n-samples": {}},
        chat_template=False,
        params=None,
        eval_seconds=seconds,
    )


def _model_args(value: object) -> dict[str, str]:
    """lm-eval's `model_args`: `pretrained=org/name,revision=sha,dtype=bfloat16,...` (or a dict)."""
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    if not isinstance(value, str):
        return {}
    pairs = (part.split("=", 1) for part in value.split(",") if "=" in part)
    return {key.strip(): val.strip() for key, val in pairs}


def _model_id(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ArchiveFileError("the file names no model", "its config must carry model_name")
    try:
        return str(ModelId.parse(value))
    except InvalidModelIdError as exc:
        raise ArchiveFileError(f"model id refused: {exc.message}", exc.hint) from exc


def _precision(dtype: object, args: Mapping[str, str]) -> Precision:
    if args.get("load_in_4bit", "").lower() == "true":
        return Precision.INT4
    if args.get("load_in_8bit", "").lower() == "true":
        return Precision.INT8
    if "autogptq" in args or "gptq" in args:
        return Precision.GPTQ
    found = _DTYPES.get(str(dtype)) if dtype is not None else None
    if found is None:
        raise ArchiveFileError(
            f"unknown precision {dtype!r}",
            f"the archive's dtypes are {', '.join(sorted(_DTYPES))}",
        )
    return found


def _sha(value: object) -> str:
    return value.strip()[:64] if isinstance(value, str) else ""


def _number(value: object) -> float | None:
    try:
        number = float(value)  # type: ignore[arg-type]  # the archive writes strings or numbers
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) and number >= 0 else None
