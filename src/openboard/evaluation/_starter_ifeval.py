"""IFEval-format prompts, generated from a seed, checked by lm-eval's own IFEval instruction checkers.

Each prompt is a writing task plus one or two verifiable instructions; the instruction ids and
their arguments are those of lm-eval's IFEval registry, so `leaderboard_ifeval`'s scoring runs
on them unchanged.
"""

import random
from typing import Any

_TOPICS = [
    "a lighthouse keeper", "the first snow of winter", "a bicycle repair shop", "honeybees",
    "a lost umbrella", "the night sky", "a city library", "learning to cook", "a mountain train",
    "an old map", "a rainy market day", "a robot gardener", "the ocean tide", "a chess club",
]  # fmt: skip
_TASKS = [
    "Write a short story about {topic}.",
    "Write a letter to a friend about {topic}.",
    "Describe {topic} to a ten-year-old.",
    "Write a blog post about {topic}.",
    "Write a product review inspired by {topic}.",
]
_KEYWORDS = ["river", "window", "silver", "garden", "music", "journey", "candle", "whisper"]


def _instruction(rng: random.Random) -> tuple[str, dict[str, Any], str]:
    """(instruction id, its arguments, the sentence that asks for it)."""
    choice = rng.randrange(8)
    if choice == 0:
        return "punctuation:no_comma", {}, "Do not use any commas in your response."
    if choice == 1:
        n = rng.randint(2, 5)
        return (
            "length_constraints:number_sentences",
            {"relation": "at least", "num_sentences": n},
            f"Your response should contain at least {n} sentences.",
        )
    if choice == 2:
        return (
            "change_case:english_lowercase",
            {},
            "Your entire response should be in English, and in all lowercase letters. No capital letters are allowed.",
        )
    if choice == 3:
        n = rng.randint(2, 4)
        return (
            "detectable_format:number_bullet_lists",
            {"num_bullets": n},
            f"Your answer must contain exactly {n} bullet points. Use the markdown bullet points such as:\n* This is point 1.",
        )
    if choice == 4:
        phrase = "Is there anything else I can help with?"
        return (
            "startend:end_checker",
            {"end_phrase": phrase},
            f'Finish your response with this exact phrase "{phrase}". No other words should follow this phrase.',
        )
    if choice == 5:
        words = rng.sample(_KEYWORDS, 2)
        return (
            "keywords:existence",
            {"keywords": words},
            f"Include the keywords {words[0]} and {words[1]} in the response.",
        )
    if choice == 6:
        n = rng.choice([50, 80, 120])
        return (
            "length_constraints:number_words",
            {"relation": "less than", "num_words": n},
            f"Answer with less than {n} words.",
        )
    return (
        "detectable_format:title",
        {},
        "Your answer must contain a title, wrapped in double angular brackets, such as <<poem of joy>>.",
    )


def ifeval_prompt(rng: random.Random, key: int) -> dict[str, Any]:
    """One record in the layout of IFEval's input_data.jsonl."""
    prompt = rng.choice(_TASKS).format(topic=rng.choice(_TOPICS))
    ids: list[str] = []
    kwargs: list[dict[str, Any]] = []
    for _ in range(rng.randint(1, 2)):
        instruction_id, arguments, sentence = _instruction(rng)
        if instruction_id in ids:
            continue
        ids.append(instruction_id)
        kwargs.append(arguments)
        prompt += " " + sentence
    return {"key": key, "prompt": prompt, "instruction_id_list": ids, "kwargs": kwargs}
