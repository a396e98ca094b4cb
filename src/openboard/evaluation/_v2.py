"""The Open LLM Leaderboard v2 suite: lm-eval's `leaderboard` tasks, as data."""

from dataclasses import dataclass

from openboard.evaluation._suites import Aggregation, BenchmarkSpec, Scorer, Suite
from openboard.evaluation._v2_sources import V2_HUB_DATA

# Number of choices per BBH subtask, from the public site's normalization code.
BBH_CHOICES: dict[str, int] = {
    "sports_understanding": 2, "navigate": 2, "snarks": 2, "web_of_lies": 2, "hyperbaton": 2,
    "causal_judgement": 2, "formal_fallacies": 2, "boolean_expressions": 2,
    "tracking_shuffled_objects_three_objects": 3, "disambiguation_qa": 3,
    "logical_deduction_three_objects": 3, "temporal_sequences": 4,
    "logical_deduction_five_objects": 5, "penguins_in_a_table": 5,
    "tracking_shuffled_objects_five_objects": 5, "date_understanding": 6,
    "movie_recommendation": 6, "salient_translation_error_detection": 6, "ruin_names": 6,
    "logical_deduction_seven_objects": 7, "tracking_shuffled_objects_seven_objects": 7,
    "geometric_shapes": 11, "reasoning_about_colored_objects": 18, "object_counting": 19,
}  # fmt: skip

# lm-eval task suffix → (official YAML file stem, HF config = staged file stem)
MATH_SUBSETS: dict[str, tuple[str, str]] = {
    "algebra": ("math_algebra", "algebra"),
    "counting_and_prob": ("math_counting_and_prob", "counting_and_probability"),
    "geometry": ("math_geometry", "geometry"),
    "intermediate_algebra": ("math_intermediate_algebra", "intermediate_algebra"),
    "num_theory": ("math_num_theory", "number_theory"),
    "prealgebra": ("math_prealgebra", "prealgebra"),
    "precalculus": ("math_precalculus", "precalculus"),
}
GPQA_SUBSETS = ("main", "diamond", "extended")
MUSR_CHOICES = {"murder_mysteries": 2, "object_placements": 5, "team_allocation": 3}
# The folder of task overrides `datasets import` writes: it names the task set, which a change
# of scoring alone (a new suite version) leaves as it is.
TASK_SET = "v2-v1"


@dataclass(frozen=True, slots=True)
class OfficialTask:
    """Where lm-eval keeps the official config of a task, and which local data replaces its Hub dataset."""

    task: str
    benchmark: str
    official_yaml: str  # relative to lm_eval/tasks/leaderboard/
    dataset_path: str  # "json" or "csv"
    data_files: dict[str, str]  # split → file, relative to the dataset mirror
    field: str | None = None


def official_tasks() -> list[OfficialTask]:
    tasks = [
        OfficialTask(
            task=f"leaderboard_bbh_{name}",
            benchmark="bbh",
            official_yaml=f"bbh_mc/{name}.yaml",
            dataset_path="json",
            data_files={"test": f"bbh/{name}.json"},
            field="examples",
        )
        for name in BBH_CHOICES
    ]
    tasks += [
        OfficialTask(
            task=f"leaderboard_gpqa_{name}",
            benchmark="gpqa",
            official_yaml=f"gpqa/gpqa_{name}_zeroshot.yaml",
            dataset_path="csv",
            data_files={"train": f"gpqa/.private/gpqa_{name}.csv"},
        )
        for name in GPQA_SUBSETS
    ]
    tasks.append(
        OfficialTask(
            task="leaderboard_ifeval",
            benchmark="ifeval",
            official_yaml="ifeval/ifeval.yaml",
            dataset_path="json",
            data_files={"train": "ifeval/input_data.jsonl"},
        )
    )
    tasks += [
        OfficialTask(
            task=f"leaderboard_math_{suffix}_hard",
            benchmark="math",
            official_yaml=f"math/{stem}.yaml",
            dataset_path="json",
            data_files={"test": f"math/{config}.jsonl"},
        )
        for suffix, (stem, config) in MATH_SUBSETS.items()
    ]
    tasks.append(
        OfficialTask(
            task="leaderboard_mmlu_pro",
            benchmark="mmlu_pro",
            official_yaml="mmlu_pro/mmlu_pro.yaml",
            dataset_path="json",
            data_files={"test": "mmlu_pro/test.jsonl", "validation": "mmlu_pro/validation.jsonl"},
        )
    )
    musr_files = {split: f"musr/musr_{split}.jsonl" for split in MUSR_CHOICES}
    tasks += [
        OfficialTask(
            task=f"leaderboard_musr_{split}",
            benchmark="musr",
            official_yaml=f"musr/musr_{split}.yaml",
            dataset_path="json",
            data_files=musr_files,
        )
        for split in MUSR_CHOICES
    ]
    return tasks


# Version 2: GPQA and MATH Lvl 5 take lm-eval's size-weighted group value, normalized once
# (version 1 normalized each subset and took the plain mean). Version 3: MATH Lvl 5 judged with
# Math-Verify from the stored generations, as the public site re-scored it on 2025-02-14.
V2 = Suite(
    name="v2",
    version="3",
    task_source="v2",
    data=V2_HUB_DATA,
    benchmarks=(
        BenchmarkSpec(
            name="ifeval",
            display_name="IFEval",
            metrics=("inst_level_strict_acc", "prompt_level_strict_acc"),
            tasks={"leaderboard_ifeval": None},
        ),
        BenchmarkSpec(
            name="bbh",
            display_name="BBH",
            metrics=("acc_norm",),
            tasks={f"leaderboard_bbh_{n}": c for n, c in BBH_CHOICES.items()},
        ),
        BenchmarkSpec(
            name="math",
            display_name="MATH Lvl 5",
            metrics=("exact_match",),
            tasks={f"leaderboard_math_{s}_hard": None for s in MATH_SUBSETS},
            aggregation=Aggregation.SIZE_WEIGHTED,
            scorer=Scorer.MATH_VERIFY,
        ),
        BenchmarkSpec(
            name="gpqa",
            display_name="GPQA",
            metrics=("acc_norm",),
            tasks={f"leaderboard_gpqa_{s}": 4 for s in GPQA_SUBSETS},
            aggregation=Aggregation.SIZE_WEIGHTED,
        ),
        BenchmarkSpec(
            name="musr",
            display_name="MuSR",
            metrics=("acc_norm",),
            tasks={f"leaderboard_musr_{s}": n for s, n in MUSR_CHOICES.items()},
        ),
        BenchmarkSpec(
            name="mmlu_pro",
            display_name="MMLU-Pro",
            metrics=("acc",),
            tasks={"leaderboard_mmlu_pro": 10},
        ),
    ),
)
