"""openboard's v2 scores equal the public site's rule on a results file in the site's own format.

The rule is the public leaderboard's normalization notebook, written out here independently of
openboard's scoring code: BBH and MuSR normalize each subtask with its own baseline and take the
plain mean; GPQA, MATH Lvl 5 and MMLU-Pro take lm-eval's reported (group) value and normalize it
once; IFEval is the mean of its two strict accuracies. The file holds, like the published ones,
every subtask's values, lm-eval's group values and `n-samples`, with the real subset sizes.
"""

import json
import random
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context

# Documents per subtask in the v2 suite (lm-eval's leaderboard tasks).
BBH_SIZES = {
    "boolean_expressions": (2, 250), "causal_judgement": (2, 187), "date_understanding": (6, 250),
    "disambiguation_qa": (3, 250), "formal_fallacies": (2, 250), "geometric_shapes": (11, 250),
    "hyperbaton": (2, 250), "logical_deduction_five_objects": (5, 250),
    "logical_deduction_seven_objects": (7, 250), "logical_deduction_three_objects": (3, 250),
    "movie_recommendation": (6, 250), "navigate": (2, 250), "object_counting": (19, 250),
    "penguins_in_a_table": (5, 146), "reasoning_about_colored_objects": (18, 250),
    "ruin_names": (6, 250), "salient_translation_error_detection": (6, 250),
    "snarks": (2, 178), "sports_understanding": (2, 250), "temporal_sequences": (4, 250),
    "tracking_shuffled_objects_five_objects": (5, 250),
    "tracking_shuffled_objects_seven_objects": (7, 250),
    "tracking_shuffled_objects_three_objects": (3, 250), "web_of_lies": (2, 250),
}  # fmt: skip
GPQA_SIZES = {"diamond": 198, "extended": 546, "main": 448}
MATH_SIZES = {
    "algebra": 307, "counting_and_prob": 123, "geometry": 132, "intermediate_algebra": 280,
    "num_theory": 154, "prealgebra": 193, "precalculus": 135,
}  # fmt: skip
MUSR_SIZES = {
    "murder_mysteries": (2, 250),
    "object_placements": (5, 256),
    "team_allocation": (3, 250),
}


def _task(alias: str, metric: str, value: float) -> dict[str, Any]:
    return {"alias": alias, f"{metric},none": value, f"{metric}_stderr,none": 0.02}


def _group(alias: str, metric: str, parts: list[tuple[float, int]]) -> dict[str, Any]:
    """What lm-eval writes for a group with `weight_by_size: true`."""
    value = sum(v * n for v, n in parts) / sum(n for _, n in parts)
    return {"alias": alias, f"{metric},none": value, f"{metric}_stderr,none": 0.01}


def published_results(seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    results: dict[str, Any] = {}
    sizes: dict[str, int] = {}
    for name, (_, n) in BBH_SIZES.items():
        results[f"leaderboard_bbh_{name}"] = _task(f" - {name}", "acc_norm", rng.uniform(0.1, 0.8))
        sizes[f"leaderboard_bbh_{name}"] = n
    gpqa = []
    # One subset below chance: the old per-subset rule zeroed it, the group value does not.
    for name, value in zip(GPQA_SIZES, (0.21, 0.31, 0.27), strict=True):
        results[f"leaderboard_gpqa_{name}"] = _task(f" - gpqa_{name}", "acc_norm", value)
        sizes[f"leaderboard_gpqa_{name}"] = GPQA_SIZES[name]
        gpqa.append((value, GPQA_SIZES[name]))
    math = []
    for name, n in MATH_SIZES.items():
        value = rng.uniform(0.0, 0.2)
        results[f"leaderboard_math_{name}_hard"] = _task(f" - math_{name}", "exact_match", value)
        sizes[f"leaderboard_math_{name}_hard"] = n
        math.append((value, n))
    for name, (_, n) in MUSR_SIZES.items():
        results[f"leaderboard_musr_{name}"] = _task(f" - {name}", "acc_norm", rng.uniform(0.2, 0.7))
        sizes[f"leaderboard_musr_{name}"] = n
    results["leaderboard_ifeval"] = {
        "alias": " - leaderboard_ifeval",
        "prompt_level_strict_acc,none": 0.312, "prompt_level_strict_acc_stderr,none": 0.02,
        "inst_level_strict_acc,none": 0.455, "inst_level_strict_acc_stderr,none": "N/A",
        "prompt_level_loose_acc,none": 0.35, "inst_level_loose_acc,none": 0.49,
    }  # fmt: skip
    sizes["leaderboard_ifeval"] = 541
    results["leaderboard_mmlu_pro"] = _task(" - leaderboard_mmlu_pro", "acc", 0.1834)
    sizes["leaderboard_mmlu_pro"] = 12032
    results["leaderboard_gpqa"] = _group(" - leaderboard_gpqa", "acc_norm", gpqa)
    results["leaderboard_math_hard"] = _group(" - leaderboard_math_hard", "exact_match", math)
    bbh = [(results[f"leaderboard_bbh_{k}"]["acc_norm,none"], n) for k, (_, n) in BBH_SIZES.items()]
    results["leaderboard_bbh"] = _group(" - leaderboard_bbh", "acc_norm", bbh)
    musr = [
        (results[f"leaderboard_musr_{k}"]["acc_norm,none"], n) for k, (_, n) in MUSR_SIZES.items()
    ]
    results["leaderboard_musr"] = _group(" - leaderboard_musr", "acc_norm", musr)
    results["leaderboard"] = {"alias": "leaderboard", "acc_norm,none": 0.33}
    return {
        "results": results,
        "groups": {
            k: results[k] for k in ("leaderboard", "leaderboard_gpqa", "leaderboard_math_hard")
        },
        "group_subtasks": {"leaderboard_gpqa": [f"leaderboard_gpqa_{n}" for n in GPQA_SIZES]},
        "n-shot": {task: 0 for task in sizes},
        "n-samples": {task: {"original": n, "effective": n} for task, n in sizes.items()},
        "config": {"model": "hf", "model_args": "pretrained=org/model,revision=abc"},
        "lm_eval_version": "0.4.3",
        "date": 1718000000.0,
    }


def _normalize(value: float, lower: float) -> float:
    """The notebook's normalize_within_range with higher bound 1."""
    return max(value - lower, 0.0) / (1.0 - lower) * 100


def public_rule(data: dict[str, Any]) -> dict[str, float]:
    r = data["results"]
    bbh = [
        _normalize(r[f"leaderboard_bbh_{name}"]["acc_norm,none"], 1 / n)
        for name, (n, _) in BBH_SIZES.items()
    ]
    musr = [
        _normalize(r[f"leaderboard_musr_{name}"]["acc_norm,none"], 1 / n)
        for name, (n, _) in MUSR_SIZES.items()
    ]
    ifeval = r["leaderboard_ifeval"]
    scores = {
        "ifeval": (ifeval["inst_level_strict_acc,none"] + ifeval["prompt_level_strict_acc,none"])
        / 2
        * 100,
        "bbh": sum(bbh) / len(bbh),
        "math": _normalize(r["leaderboard_math_hard"]["exact_match,none"], 0.0),
        "gpqa": _normalize(r["leaderboard_gpqa"]["acc_norm,none"], 0.25),
        "musr": sum(musr) / len(musr),
        "mmlu_pro": _normalize(r["leaderboard_mmlu_pro"]["acc,none"], 0.1),
    }
    scores["average"] = sum(scores.values()) / 6
    return scores


@pytest.mark.parametrize("seed", [1, 2])
def test_imported_public_results_score_as_the_public_notebook(
    seed: int, tmp_path: Path, cli_env: dict[str, str], context: Context
) -> None:
    data = published_results(seed)
    file = tmp_path / "results_2024-06-10T00-00-00.json"
    file.write_text(json.dumps(data))
    outcome = CliRunner().invoke(
        app,
        ["results", "import", str(file), "--model", "org/model", "--revision", "a" * 40,
         "--model-type", "pretrained"],
        env=cli_env, catch_exceptions=False,
    )  # fmt: skip
    assert outcome.exit_code == 0, outcome.output
    expected = public_rule(data)
    request = context.store.list_requests()[0]
    stored = {b.benchmark: b.normalized for b in context.store.scores_by_benchmark(request.id)}
    assert set(stored) == set(expected) - {"average"}
    for benchmark, value in stored.items():
        assert value == pytest.approx(expected[benchmark], abs=1e-9), benchmark
    assert request.average == pytest.approx(expected["average"], abs=1e-9)
    # A results file has no generations to judge: MATH is lm-eval's, and the result says so.
    assert request.scorer == "v2/3 MATH by lm-eval: no samples"
    # The per-subset rule openboard used before gives a visibly different GPQA.
    r = data["results"]
    per_subset = sum(
        _normalize(r[f"leaderboard_gpqa_{n}"]["acc_norm,none"], 0.25) for n in GPQA_SIZES
    )
    assert abs(per_subset / 3 - stored["gpqa"]) > 0.2
