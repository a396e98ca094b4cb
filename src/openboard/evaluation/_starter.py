"""The starter suite: BBH-style tasks whose data openboard generates itself, deterministically from a seed.

The prompts follow BBH's leaderboard format exactly (`Q: {input}\\nA:`, 3 fixed shots, a one-line
description, acc_norm over the choices), so a model that does well here is reading BBH-shaped prompts
the way it will on the real benchmark. No data is downloaded: the demo and CI run offline.
"""

import json
import random
from collections.abc import Callable
from pathlib import Path

import yaml

from openboard.evaluation._suites import STARTER

Example = dict[str, str]
_SHOTS = 3

_NAMES = [
    "Alexis", "Bernita", "Christie", "Delbert", "Elanor", "Fidel", "Gwenn", "Helene", "Inga",
    "Jamey", "Kandi", "Leda", "Millie", "Osvaldo", "Phoebe", "Rashida", "Sherrie", "Teressa",
    "Ulysses", "Vernell", "Willian", "Yoland", "Zelma",
]  # fmt: skip
_CATEGORIES = {  # singular, plural
    "musical instruments": [("flute", "flutes"), ("piano", "pianos"), ("trombone", "trombones"), ("violin", "violins"), ("accordion", "accordions"), ("clarinet", "clarinets"), ("drum", "drums"), ("trumpet", "trumpets")],
    "fruits": [("apple", "apples"), ("banana", "bananas"), ("peach", "peaches"), ("plum", "plums"), ("grape", "grapes"), ("orange", "oranges"), ("strawberry", "strawberries"), ("nectarine", "nectarines")],
    "animals": [("cat", "cats"), ("rabbit", "rabbits"), ("donkey", "donkeys"), ("goat", "goats"), ("snail", "snails"), ("mouse", "mice"), ("snake", "snakes"), ("frog", "frogs")],
    "vegetables": [("cabbage", "cabbages"), ("carrot", "carrots"), ("onion", "onions"), ("potato", "potatoes"), ("yam", "yams"), ("head of lettuce", "heads of lettuce"), ("head of broccoli", "heads of broccoli"), ("stalk of celery", "stalks of celery")],
}  # fmt: skip
_NUMBER_WORDS = ["zero", "one", "two", "three", "four"]


def _boolean_expression(rng: random.Random) -> Example:
    def operand(depth: int) -> str:
        if depth > 0 and rng.random() < 0.4:
            return f"( {expression(depth - 1)} )"
        return "not " * rng.choice([0, 0, 1, 2]) + rng.choice(["True", "False"])

    def expression(depth: int, fewest: int = 1) -> str:
        # One operator per level, as in BBH: mixing and/or unparenthesized would test precedence.
        op = rng.choice(["and", "or"])
        return f" {op} ".join(operand(depth) for _ in range(rng.randint(fewest, 3)))

    text = expression(1, fewest=2)
    return {"input": f"{text} is", "target": str(_evaluate(text))}


def _evaluate(text: str) -> bool:
    """Evaluate a boolean expression of True/False/not/and/or/( ) without Python's eval."""
    tokens = text.split()
    position = 0

    def parse_or() -> bool:
        nonlocal position
        value = parse_and()
        while position < len(tokens) and tokens[position] == "or":
            position += 1
            right = parse_and()
            value = value or right
        return value

    def parse_and() -> bool:
        nonlocal position
        value = parse_not()
        while position < len(tokens) and tokens[position] == "and":
            position += 1
            right = parse_not()
            value = value and right
        return value

    def parse_not() -> bool:
        nonlocal position
        token = tokens[position]
        position += 1
        if token == "not":
            return not parse_not()
        if token == "(":
            value = parse_or()
            position += 1  # the closing parenthesis
            return value
        return token == "True"

    return parse_or()


def _web_of_lies(rng: random.Random) -> Example:
    people = rng.sample(_NAMES, 5)
    truthful = rng.choice([True, False])
    sentences = [f"{people[0]} {'tells the truth' if truthful else 'lies'}."]
    for speaker, subject in zip(people[1:], people, strict=False):
        claims_truth = rng.choice([True, False])
        sentences.append(
            f"{speaker} says {subject} {'tells the truth' if claims_truth else 'lies'}."
        )
        truthful = claims_truth == truthful
    question = f"Question: {' '.join(sentences)} Does {people[-1]} tell the truth?"
    return {"input": question, "target": "Yes" if truthful else "No"}


def _object_counting(rng: random.Random) -> Example:
    category = rng.choice(list(_CATEGORIES))
    others = [c for c in _CATEGORIES if c != category]
    items: list[str] = []
    total = 0
    for singular, plural in rng.sample(_CATEGORIES[category], rng.randint(2, 5)):
        count = rng.choice([1, 1, 1, 2, 3])
        total += count
        items.append(
            f"{_article(singular)} {singular}" if count == 1 else f"{_NUMBER_WORDS[count]} {plural}"
        )
    for singular, _ in rng.sample(_CATEGORIES[rng.choice(others)], rng.randint(0, 2)):
        items.append(f"{_article(singular)} {singular}")
    rng.shuffle(items)
    listing = (
        " and ".join(items) if len(items) == 2 else ", ".join(items[:-1]) + f", and {items[-1]}"
    )
    return {"input": f"I have {listing}. How many {category} do I have?", "target": str(total)}


def _article(noun: str) -> str:
    return "an" if noun[0] in "aeiou" else "a"


_TASKS: dict[str, tuple[Callable[[random.Random], Example], str, list[str]]] = {
    "starter_bbh_boolean_expressions": (
        _boolean_expression,
        "Evaluate the result of a random Boolean expression.",
        ["False", "True"],
    ),
    "starter_bbh_web_of_lies": (
        _web_of_lies,
        "Evaluate a random boolean function expressed as a word problem.",
        ["Yes", "No"],
    ),
    "starter_bbh_object_counting": (
        _object_counting,
        "Questions that involve enumerating objects and asking the model to count them.",
        [str(n) for n in range(19)],
    ),
}


def generate_examples(task: str, count: int, seed: int) -> list[Example]:
    """`count` distinct examples for `task`; the same (task, count, seed) always gives the same list."""
    generate = _TASKS[task][0]
    rng = random.Random(f"{task}:{seed}")
    examples: list[Example] = []
    seen: set[str] = set()
    attempts = 0
    while len(examples) < count and attempts < count * 50:
        attempts += 1
        example = generate(rng)
        if example["input"] not in seen:
            seen.add(example["input"])
            examples.append(example)
    return examples


def write_starter_tasks(folder: Path, size: int = 50, seed: int = 2024) -> list[str]:
    """Write the data and lm-eval task YAMLs of the starter suite into `folder`; returns the task names."""
    folder.mkdir(parents=True, exist_ok=True)
    assert set(_TASKS) == set(STARTER.task_names)
    for task, (_, description, choices) in _TASKS.items():
        examples = generate_examples(task, size + _SHOTS, seed)
        shots, tests = examples[:_SHOTS], examples[_SHOTS:]
        data_file = folder / f"{task}.jsonl"
        data_file.write_text("".join(json.dumps(e, sort_keys=True) + "\n" for e in tests))
        config = {
            "task": task,
            "dataset_path": "json",
            "dataset_kwargs": {"data_files": {"test": str(data_file)}},
            "test_split": "test",
            "output_type": "multiple_choice",
            "description": description,
            "doc_to_text": "Q: {{input}}\nA:",
            "doc_to_target": "{{target}}",
            "doc_to_choice": choices,
            "num_fewshot": _SHOTS,
            "fewshot_config": {"sampler": "first_n", "samples": shots},
            "metric_list": [
                {"metric": "acc_norm", "aggregation": "mean", "higher_is_better": True}
            ],
            "metadata": {"version": 1.0, "generator_seed": seed, "size": size},
        }
        (folder / f"{task}.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
    return list(_TASKS)
