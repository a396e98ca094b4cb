import re
from pathlib import Path

import pytest
import yaml

from openboard.evaluation import STARTER, generate_examples, write_starter_tasks

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


def test_generation_is_deterministic_and_distinct() -> None:
    for task in STARTER.task_names:
        first = generate_examples(task, 30, seed=5)
        assert first == generate_examples(task, 30, seed=5)
        assert first != generate_examples(task, 30, seed=6)
        assert len({e.get("input") or e["prompt"] for e in first}) == 30


def test_boolean_expression_targets_are_right() -> None:
    for example in generate_examples("starter_bbh_boolean_expressions", 200, seed=1):
        expression = example["input"].removesuffix(" is")
        assert re.fullmatch(r"[ ()a-zA-Z]+", expression)
        assert (
            str(eval(expression)) == example["target"]
        )  # our own generated text, True/False/not/and/or only


def test_web_of_lies_targets_are_right() -> None:
    for example in generate_examples("starter_bbh_web_of_lies", 100, seed=1):
        sentences = example["input"].removeprefix("Question: ").split(". ")
        truthful = sentences[0].endswith("tells the truth")
        for sentence in sentences[1:-1]:
            truthful = sentence.endswith("tells the truth") == truthful
        last_says_truth = (
            sentences[-2].endswith("tells the truth") if len(sentences) > 1 else truthful
        )
        assert last_says_truth is not None
        assert example["target"] == ("Yes" if truthful else "No")


def test_multistep_arithmetic_targets_are_right() -> None:
    for example in generate_examples("starter_bbh_multistep_arithmetic", 100, seed=1):
        expression = example["input"].removesuffix(" =")
        assert re.fullmatch(r"[-+* ()0-9]+", expression)
        assert str(eval(expression)) == example["target"]  # digits and + - * ( ) only


def test_dyck_targets_close_every_open_bracket() -> None:
    pairs = {"(": ")", "[": "]", "{": "}", "<": ">"}
    for example in generate_examples("starter_bbh_dyck_languages", 100, seed=1):
        sequence = example["input"].split("Input: ")[1].split() + example["target"].split()
        stack: list[str] = []
        for token in sequence:
            if token in pairs:
                stack.append(token)
            else:
                assert stack and pairs[stack.pop()] == token
        assert not stack and example["target"]


def test_ifeval_prompts_use_lm_evals_own_instruction_checkers() -> None:
    from lm_eval.tasks.ifeval import instructions_registry

    for example in generate_examples("starter_ifeval", 40, seed=1):
        assert example["instruction_id_list"]
        for instruction_id, kwargs in zip(
            example["instruction_id_list"], example["kwargs"], strict=True
        ):
            checker = instructions_registry.INSTRUCTION_DICT[instruction_id](instruction_id)
            checker.build_description(**kwargs)  # refuses arguments it does not know


def test_task_files_follow_bbh_format(tmp_path: Path) -> None:
    names = write_starter_tasks(tmp_path, size=10, seed=3)
    assert names == STARTER.task_names
    generative = yaml.safe_load((tmp_path / "starter_bbh_dyck_languages.yaml").read_text())
    assert (
        generative["output_type"] == "generate_until"
        and generative["doc_to_text"] == "Q: {{input}}\nA:"
    )
    ifeval = yaml.safe_load((tmp_path / "starter_ifeval.yaml").read_text())
    assert (
        ifeval["include"].endswith("leaderboard/ifeval/ifeval.yaml")
        and ifeval["task"] == "starter_ifeval"
    )
    config = yaml.safe_load((tmp_path / "starter_bbh_object_counting.yaml").read_text())
    assert config["doc_to_text"] == "Q: {{input}}\nA:"
    assert config["num_fewshot"] == 3 and len(config["fewshot_config"]["samples"]) == 3
    assert config["doc_to_choice"] == [str(n) for n in range(19)]
    data = (tmp_path / "starter_bbh_object_counting.jsonl").read_text().splitlines()
    assert len(data) == 10
    shots = {s["input"] for s in config["fewshot_config"]["samples"]}
    assert not shots & {yaml.safe_load(line)["input"] for line in data}, (
        "shots leak into the test set"
    )
