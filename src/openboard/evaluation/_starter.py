"""The starter suite: tasks whose data openboard generates itself, deterministically from a seed.

BBH-style tasks follow BBH's leaderboard format exactly (`Q: {input}\\nA:`, 3 fixed shots, a one-line
description; acc_norm over the choices, or exact match for the generative families), and the
IFEval-format task includes lm-eval's official IFEval configuration and swaps in generated prompts,
so a model is scored here the way it is scored on the real benchmarks. Nothing is downloaded.
"""

import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from openboard.evaluation import _starter_bbh as bbh
from openboard.evaluation._starter_ifeval import ifeval_prompt
from openboard.evaluation._suites import STARTER

_SHOTS = 3
IFEVAL_TASK = "starter_ifeval"
IFEVAL_SIZE = 16  # prompts; generation is the slow part of the suite on a CPU
IFEVAL_MAX_TOKENS = 160  # the official task allows 1,280; these prompts ask for short answers


@dataclass(frozen=True, slots=True)
class _BBHTask:
    generate: Callable[[random.Random], bbh.Example]
    description: str
    choices: list[str] | None  # None: generative, scored by exact match


_BBH_TASKS: dict[str, _BBHTask] = {
    "starter_bbh_boolean_expressions": _BBHTask(
        bbh.boolean_expression,
        "Evaluate the result of a random Boolean expression.",
        ["False", "True"],
    ),
    "starter_bbh_web_of_lies": _BBHTask(
        bbh.web_of_lies,
        "Evaluate a random boolean function expressed as a word problem.",
        ["Yes", "No"],
    ),
    "starter_bbh_object_counting": _BBHTask(
        bbh.object_counting,
        "Questions that involve enumerating objects and asking the model to count them.",
        [str(n) for n in range(19)],
    ),
    "starter_bbh_multistep_arithmetic": _BBHTask(
        bbh.multistep_arithmetic, "Solve multi-step arithmetic problems.", None
    ),
    "starter_bbh_dyck_languages": _BBHTask(
        bbh.dyck_language, "Correctly close a Dyck-n word.", None
    ),
}


def generate_examples(task: str, count: int, seed: int) -> list[dict[str, Any]]:
    """`count` distinct examples for `task`; the same (task, count, seed) always gives the same list."""
    rng = random.Random(f"{task}:{seed}")
    examples: list[dict[str, Any]] = []
    seen: set[str] = set()
    attempts = 0
    while len(examples) < count and attempts < count * 50:
        attempts += 1
        if task == IFEVAL_TASK:
            example: dict[str, Any] = ifeval_prompt(rng, key=len(examples))
            text = example["prompt"]
        else:
            example = dict(_BBH_TASKS[task].generate(rng))
            text = example["input"]
        if text not in seen:
            seen.add(text)
            examples.append(example)
    return examples


def _bbh_config(
    task: str, spec: _BBHTask, data_file: Path, shots: list[dict[str, Any]]
) -> dict[str, Any]:
    config: dict[str, Any] = {
        "task": task,
        "dataset_path": "json",
        "dataset_kwargs": {"data_files": {"test": str(data_file)}},
        "test_split": "test",
        "description": spec.description,
        "doc_to_text": "Q: {{input}}\nA:",
        "doc_to_target": "{{target}}",
        "num_fewshot": _SHOTS,
        "fewshot_config": {"sampler": "first_n", "samples": shots},
    }
    if spec.choices is not None:
        config |= {
            "output_type": "multiple_choice",
            "doc_to_choice": spec.choices,
            "metric_list": [
                {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}
            ],
        }
    else:  # BBH's generative few-shot format; answers are compared after trimming whitespace
        config |= {
            "output_type": "generate_until",
            "generation_kwargs": {
                "until": ["</s>", "Q", "\n\n"],
                "do_sample": False,
                "temperature": 0.0,
                "max_gen_toks": 32,
            },
            "filter_list": [
                {
                    "name": "strip",
                    "filter": [{"function": "remove_whitespace"}, {"function": "take_first"}],
                }
            ],
            "metric_list": [
                {"metric": "exact_match", "aggregation": "mean", "higher_is_better": True}
            ],
        }
    return config


def _ifeval_config(data_file: Path) -> dict[str, Any]:
    import lm_eval

    official = Path(lm_eval.__file__).parent / "tasks" / "leaderboard" / "ifeval" / "ifeval.yaml"
    return {
        "include": str(official),
        "task": IFEVAL_TASK,
        "dataset_path": "json",
        "dataset_name": None,
        "dataset_kwargs": {"data_files": {"train": str(data_file)}},
        "generation_kwargs": {
            "until": [],
            "do_sample": False,
            "temperature": 0.0,
            "max_gen_toks": IFEVAL_MAX_TOKENS,
        },
    }


def write_starter_tasks(folder: Path, size: int = 50, seed: int = 2024) -> list[str]:
    """Write the data and lm-eval task YAMLs of the starter suite into `folder`; returns the task names."""
    folder.mkdir(parents=True, exist_ok=True)
    assert [*_BBH_TASKS, IFEVAL_TASK] == STARTER.task_names
    for task, spec in _BBH_TASKS.items():
        examples = generate_examples(task, size + _SHOTS, seed)
        data_file = folder / f"{task}.jsonl"
        data_file.write_text(
            "".join(json.dumps(e, sort_keys=True) + "\n" for e in examples[_SHOTS:])
        )
        config = _bbh_config(task, spec, data_file, examples[:_SHOTS])
        config["metadata"] = {"version": 1.0, "generator_seed": seed, "size": size}
        (folder / f"{task}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    data_file = folder / f"{IFEVAL_TASK}.jsonl"
    prompts = generate_examples(IFEVAL_TASK, min(size, IFEVAL_SIZE), seed)
    data_file.write_text("".join(json.dumps(p) + "\n" for p in prompts))
    (folder / f"{IFEVAL_TASK}.yaml").write_text(
        yaml.safe_dump(_ifeval_config(data_file), sort_keys=False)
    )
    return STARTER.task_names
