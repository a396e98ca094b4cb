"""Archive files in the public leaderboard's published layouts, written by the tests (and the
bench): v2 results (lm-eval's output), v1 results (lighteval's), and the contents parquet."""

import json
import random
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from openboard.evaluation._v1 import MMLU_SUBJECTS
from tests.test_conformance import public_rule, published_results

__all__ = [
    "contents_row",
    "contents_row_v1",
    "public_rule",
    "v1_document",
    "v2_document",
    "write_contents",
    "write_run",
]


def v2_document(
    model: str, seed: int, sha: str = "a" * 40, dtype: str = "torch.bfloat16", chat: bool = True
) -> dict[str, Any]:
    document = published_results(seed)
    document["config"] = {
        "model": "hf",
        "model_args": f"pretrained={model},revision={sha},trust_remote_code=False,dtype=bfloat16",
        "model_num_parameters": 7_241_732_096,
        "model_dtype": dtype,
        "model_revision": "main",
        "model_sha": sha,
        "batch_size": "auto",
    }
    document.update(
        model_name=model,
        model_name_sanitized=model.replace("/", "__"),
        chat_template="{% for m in messages %}{{ m.content }}{% endfor %}" if chat else None,
        chat_template_sha="f" * 64 if chat else None,
        total_evaluation_time_seconds="1834.25",
        start_time=100.0,
        end_time=1934.25,
    )
    return document


def v1_document(model: str, seed: int, sha: str = "b" * 40) -> dict[str, Any]:
    """A late-v1 file (six benchmarks), `config_general` as lighteval wrote it."""
    rng = random.Random(seed)

    def scores(*metrics: str) -> dict[str, float]:
        out: dict[str, float] = {}
        for metric in metrics:
            out[metric] = rng.uniform(0.25, 0.85)
            out[f"{metric}_stderr"] = 0.01
        return out

    results: dict[str, Any] = {
        "harness|arc:challenge|25": scores("acc", "acc_norm"),
        "harness|hellaswag|10": scores("acc", "acc_norm"),
        "harness|truthfulqa:mc|0": scores("mc1", "mc2"),
        "harness|winogrande|5": scores("acc"),
        "harness|gsm8k|5": scores("acc"),
        "harness|drop|3": {"em": 0.01, "f1": 0.05},  # a task the v1 suite does not use
    }
    for subject in MMLU_SUBJECTS:
        results[f"harness|hendrycksTest-{subject}|5"] = scores("acc", "acc_norm")
    results["all"] = {"acc": 0.5}
    return {
        "config_general": {
            "lighteval_sha": "0" * 40,
            "num_few_shot_default": 0,
            "model_name": model,
            "model_sha": sha,
            "model_dtype": "torch.float16",
            "model_size": "13.99 GB",
            "total_evaluation_time_secondes": "5210.77",
        },
        "results": results,
        "versions": {"all": 0},
        "config_tasks": {},
        "summary_tasks": {},
        "summary_general": {},
    }


def v1_rule(document: dict[str, Any]) -> dict[str, float]:
    """The v1 site's numbers: plain mean of six values x 100 (MMLU: mean over its subjects)."""
    r = document["results"]
    mmlu = [r[f"harness|hendrycksTest-{s}|5"]["acc"] for s in MMLU_SUBJECTS]
    scores = {
        "arc": r["harness|arc:challenge|25"]["acc_norm"] * 100,
        "hellaswag": r["harness|hellaswag|10"]["acc_norm"] * 100,
        "mmlu": sum(mmlu) / len(mmlu) * 100,
        "truthfulqa": r["harness|truthfulqa:mc|0"]["mc2"] * 100,
        "winogrande": r["harness|winogrande|5"]["acc"] * 100,
        "gsm8k": r["harness|gsm8k|5"]["acc"] * 100,
    }
    scores["average"] = sum(scores.values()) / 6
    return scores


def write_run(root: Path, model: str, at: datetime, document: dict[str, Any] | str) -> Path:
    """`<org>/<model>/results_<timestamp>.json` as the archive names it."""
    file = root / model / f"results_{at:%Y-%m-%dT%H-%M-%S.%f}.json"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(document if isinstance(document, str) else json.dumps(document))
    return file


def contents_row(model: str, **changes: Any) -> dict[str, Any]:
    """A row of open-llm-leaderboard/contents with its published column names."""
    row: dict[str, Any] = {
        "eval_name": f"{model.replace('/', '_')}_bfloat16",
        "Precision": "bfloat16",
        "Type": "💬 chat models (RLHF, DPO, IFT, ...)",
        "T": "💬",
        "Weight type": "Original",
        "Architecture": "LlamaForCausalLM",
        "Model": f'<a target="_blank" href="https://huggingface.co/{model}">{model}</a>',
        "fullname": model,
        "Model sha": "a" * 40,
        "Average ⬆️": 20.0,
        "Hub License": "apache-2.0",
        "Hub ❤️": 42,
        "#Params (B)": 7.242,
        "Available on the hub": True,
        "MoE": False,
        "Flagged": False,
        "Chat Template": True,
        "CO₂ cost (kg)": 1.25,
        "IFEval Raw": 0.38, "IFEval": 38.0, "BBH Raw": 0.4, "BBH": 20.0,
        "MATH Lvl 5 Raw": 0.1, "MATH Lvl 5": 10.0, "GPQA Raw": 0.27, "GPQA": 2.5,
        "MUSR Raw": 0.4, "MUSR": 10.0, "MMLU-PRO Raw": 0.18, "MMLU-PRO": 9.27,
        "Merged": False,
        "Official Providers": False,
        "Upload To Hub Date": "2024-05-01",
        "Submission Date": "2024-06-12",
        "Generation": 1,
        "Base Model": "meta-llama/Meta-Llama-3-8B",
    }  # fmt: skip
    row.update(changes)
    return row


def contents_row_v1(model: str, **changes: Any) -> dict[str, Any]:
    """A row of open-llm-leaderboard-old/contents (v1's table) with its 26 published columns."""
    row: dict[str, Any] = {
        "eval_name": f"{model.replace('/', '_')}_float16",
        "Precision": "float16",
        "Type": "pretrained",
        "T": "🟢",
        "Weight type": "Original",
        "Architecture": "LlamaForCausalLM",
        "Model": f'<a target="_blank" href="https://huggingface.co/{model}">{model}</a>',
        "fullname": model,
        "Model sha": "b" * 40,
        "Average ⬆️": 50.0,
        "Hub License": "llama2",
        "Hub ❤️": 12,
        "#Params (B)": 6.74,
        "Available on the hub": True,
        "Merged": False,
        "MoE": False,
        "Flagged": False,
        "date": "2023-09-09T10:52:17Z",
        "Chat Template": False,
        "ARC": 50.0, "HellaSwag": 50.0, "MMLU": 50.0, "TruthfulQA": 50.0, "Winogrande": 50.0,
        "GSM8K": 50.0,
        "Maintainers Choice": False,
    }  # fmt: skip
    row.update(changes)
    return row


def write_contents(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)
    return path
