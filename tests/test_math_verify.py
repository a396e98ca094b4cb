"""MATH Lvl 5 judged with Math-Verify: known verdicts, hostile input, the real gold answers."""

import json
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from openboard.evaluation import V2, JudgePool, ResultsFormatError, judge_answers, score_suite

from .conftest import POSTGRES_SERVER
from .test_conformance import published_results

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

GOLD_HALF = "Dividing, we get $\\boxed{0.5}$."
GOLD_THREE = "So $x = \\boxed{3}$."


def _in_thread(pairs: list[tuple[str, str]], **options: Any) -> list[bool]:
    """Math-Verify's own timeouts need the main thread; openboard's judge must not."""
    out: list[list[bool]] = []
    thread = threading.Thread(target=lambda: out.append(judge_answers(pairs, **options)))
    thread.start()
    thread.join(300)
    assert out, "the judge did not return"
    return out[0]


def test_known_verdicts_from_a_worker_thread() -> None:
    verdicts = _in_thread(
        [
            (GOLD_HALF, "Thus the answer is $\\boxed{\\frac12}$."),
            (GOLD_THREE, "Final Answer: The final answer is $x = 3$. I hope it is correct."),
            (GOLD_THREE, "The final answer is $4$."),
            (GOLD_THREE, "I am not sure how to solve this problem."),
        ]
    )
    assert verdicts == [True, True, False, False]


def test_hostile_latex_is_wrong_and_does_not_hang() -> None:
    hostile = "$\\boxed{9^{9^{9^{9}}} - 9^{9^{9^{9}}} + 3}$ and $\\boxed{(10^{9})!}$"
    started = time.monotonic()
    assert _in_thread([(GOLD_THREE, hostile)], timeout_seconds=1) == [False]
    assert time.monotonic() - started < 120


def stall_on_seven(solution: str, generation: str, timeout_seconds: int) -> bool:
    """A judge that blocks where no signal reaches it, as a C-level hang in SymPy would."""
    if "7" in generation:
        threading.Event().wait()  # never set
    return generation == solution


def test_a_stalled_answer_is_killed_and_the_rest_are_judged() -> None:
    pairs = [("a", "a"), ("b", "7"), ("c", "c"), ("d", "x")]
    verdicts = _in_thread(pairs, timeout_seconds=1, check=f"{__name__}:stall_on_seven")
    assert verdicts == [True, False, True, False]


def test_one_pool_judges_batch_after_batch_with_the_same_children() -> None:
    """A `rescore --all` starts its judges once; a stalled one is replaced and the pool goes on."""
    check = f"{__name__}:stall_on_seven"
    with JudgePool(workers=1, timeout_seconds=1, check=check) as pool:
        assert pool([("a", "a"), ("b", "x")]) == [True, False]
        assert pool([("c", "c")]) == [True] and pool.started == 1
        assert pool([("d", "7"), ("e", "e")]) == [False, True]  # the stalled child is replaced
        assert pool([("f", "f")]) == [True] and pool.started == 3  # killed once per try of "7"
    with JudgePool(workers=1) as real:
        assert real([(GOLD_HALF, "$\\boxed{\\frac12}$")]) == [True]
        assert real([(GOLD_THREE, "The final answer is $4$.")]) == [False] and real.started == 1


def test_every_level_5_gold_answer_verifies_against_itself(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (shared_data / "math" / "test.jsonl").open()]
    solutions = [r["solution"] for r in rows if r["level"] == "Level 5"]
    assert len(solutions) == 1324
    started = time.monotonic()
    # A generous limit: this machine may be busy, and a timeout would read as a wrong answer.
    verdicts = judge_answers([(s, s) for s in solutions], timeout_seconds=20)
    wrong = [i for i, v in enumerate(verdicts) if not v]
    assert not wrong, f"{len(wrong)} gold answers did not verify, e.g. #{wrong[:5]}"
    print(f"1324 gold answers verified in {time.monotonic() - started:.1f} s")


def _math_samples(generations: dict[str, list[str]]) -> dict[str, list[dict[str, Any]]]:
    return {
        task: [
            {
                "doc_id": i,
                "doc": {"solution": GOLD_THREE, "answer": "3"},
                "filtered_resps": [text],
                "exact_match": 0,
            }
            for i, text in enumerate(texts)
        ]
        for task, texts in generations.items()
    }


def test_math_is_scored_from_the_generations_and_lm_eval_is_kept_beside_it() -> None:
    results = published_results(3)
    math_tasks = [t for b in V2.benchmarks if b.name == "math" for t in b.tasks]
    # Task i: i+1 answers, the first right (boxed), the others a plain wrong number.
    generations = {
        task: ["$\\boxed{3}$"] + ["The answer is $5$."] * i for i, task in enumerate(math_tasks)
    }
    scores = score_suite(results, V2, _math_samples(generations), judge_answers)
    assert scores.scorer == "v2/3"
    by_task = {t.task: t for t in scores.task_scores}
    for i, task in enumerate(math_tasks):
        assert by_task[task].metric == "math_verify"
        assert by_task[task].raw == pytest.approx(1 / (i + 1))
        assert by_task[task].samples == i + 1
        assert by_task[task].extra["exact_match"] == results["results"][task]["exact_match,none"]
    math = next(b for b in scores.benchmark_scores if b.benchmark == "math")
    expected = sum(1 for _ in math_tasks) / sum(i + 1 for i in range(len(math_tasks)))
    assert math.raw == pytest.approx(expected)  # size-weighted: right answers over all answers


def test_samples_without_what_math_verify_needs_are_refused() -> None:
    math_tasks = [t for b in V2.benchmarks if b.name == "math" for t in b.tasks]
    samples = _math_samples({task: ["$\\boxed{3}$"] for task in math_tasks})
    del samples[math_tasks[2]][0]["doc"]
    with pytest.raises(ResultsFormatError, match="lacks its document's solution"):
        score_suite(published_results(3), V2, samples, judge_answers)
    with pytest.raises(ResultsFormatError, match="no sample of task"):
        score_suite(published_results(3), V2, {}, judge_answers)
