"""`openboard-hf` scores the same log-likelihoods as lm-eval's `hf`, sharing each context once.

Both models run on the same tiny model in float32 (in bfloat16, lm-eval's `hf` differs from
itself by 0.5 nats between batch sizes 1 and 8, so no exact parity can hold there). The requests
come from the suites' real lm-eval tasks, built by lm-eval itself.

The tolerance is 1e-5 plus 1e-5 of the log-likelihood's size. Both sides add up float32
log-probabilities, but over different shapes (a cached context and a pass of options against one
pass per request), so the CPU's kernels sum in different orders. How far that moves a sum depends
on the CPU: on the machine they were first measured on, lm-eval's `hf` differed from itself between
batch sizes 1 and 8 by 3.7e-7 relative (v2 at --limit 3) and `openboard-hf` stayed within 1e-6; on
an AVX2 AMD EPYC, `hf` differed from itself by 1.3e-6 and `openboard-hf` from `hf` by up to 3.0e-6
(v2 with its chat template: 1.4e-4 of 47 nats). A wrong token, position or mask moves a
log-likelihood by far more than 1e-5 of it, and the chosen option must match exactly
(`assert_same_choices`).
"""

import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from lm_eval.api.instance import Instance
from lm_eval.api.registry import get_model
from lm_eval.tasks import TaskManager

from openboard.config import Settings
from openboard.evaluation import STARTER, V2, Suite, prepare_tasks
from openboard.evaluation._shared_context import (
    MODEL_NAME,
    SharedContextLM,
    group_by_context,
    plan_batches,
    plan_passes,
)

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

ABSOLUTE, RELATIVE = 1e-5, 1e-5


def load(model: Path, name: str, **extra: Any) -> Any:
    import openboard.evaluation._shared_context  # noqa: F401  (registers openboard-hf)

    return get_model(name)(
        pretrained=str(model), dtype="float32", batch_size=8, device="cpu", **extra
    )


@pytest.fixture(scope="module")
def tiny(model_library: Path) -> Path:
    return model_library / "demo" / "tiny"


@pytest.fixture(scope="module")
def reference(tiny: Path) -> Any:
    return load(tiny, "hf")


@pytest.fixture(scope="module")
def shared(tiny: Path) -> SharedContextLM:
    lm = load(tiny, MODEL_NAME)
    assert isinstance(lm, SharedContextLM)
    return lm


def loglikelihood_requests(
    suite: Suite, tasks_dir: Path, limit: int, lm: Any, chat: bool = False
) -> list[Instance]:
    """Every log-likelihood request lm-eval builds for the suite's tasks at `limit`."""
    manager = TaskManager(include_path=str(prepare_tasks(suite, tasks_dir)), include_defaults=False)
    requests: list[Instance] = []
    for task in manager.load(suite.task_names)["tasks"].values():
        if task.OUTPUT_TYPE not in {"loglikelihood", "multiple_choice"}:
            continue
        task.build_all_requests(
            limit=limit,
            apply_chat_template=chat,
            fewshot_as_multiturn=chat,
            chat_template=lm.apply_chat_template if chat else None,
            tokenizer_name=lm.tokenizer_name if chat else "",
        )
        requests += task.instances
    return requests


def assert_same(expected: Sequence[tuple[float, bool]], got: Sequence[tuple[float, bool]]) -> None:
    assert len(expected) == len(got) > 0
    excess = [
        (abs(e[0] - g[0]), e[0])
        for e, g in zip(expected, got, strict=True)
        if abs(e[0] - g[0]) > ABSOLUTE + RELATIVE * abs(e[0])
    ]
    assert not excess, (
        f"{len(excess)} log-likelihoods differ, e.g. by {excess[0][0]:.3g} of {excess[0][1]:.4g}"
    )
    assert [e[1] for e in expected] == [g[1] for g in got]  # is-greedy, request by request


def assert_same_choices(requests: list[Instance], expected: list[Any], got: list[Any]) -> None:
    """The chosen option (highest log-likelihood) of every document is the same."""

    def choices(answers: list[Any]) -> dict[tuple[str | None, int], int]:
        options: dict[tuple[str | None, int], list[float]] = {}
        for request, (score, _) in zip(requests, answers, strict=True):
            options.setdefault((request.task_name, request.doc_id), []).append(score)
        return {doc: max(range(len(s)), key=s.__getitem__) for doc, s in options.items()}

    assert choices(expected) == choices(got)


def test_it_is_registered_with_lm_eval(shared: SharedContextLM) -> None:
    assert get_model(MODEL_NAME) is SharedContextLM
    assert shared.backend == "causal"


def test_the_starter_suite_scores_as_lm_eval_does(
    reference: Any, shared: SharedContextLM, tmp_path: Path
) -> None:
    requests = loglikelihood_requests(STARTER, tmp_path, 20, reference)
    expected = reference.loglikelihood(requests, disable_tqdm=True)
    before = shared.shared_requests, shared.fallback_requests
    got = shared.loglikelihood(requests, disable_tqdm=True)
    assert_same(expected, got)
    assert_same_choices(requests, expected, got)
    # Every request shares its context: the 19 options of object counting exceed this tiny
    # model's default bound (its cache token costs half a log-probability row) in one pass, so
    # they are split across passes over their cached context.
    assert shared.shared_requests - before[0] == len(requests)
    assert shared.fallback_requests == before[1]


@pytest.mark.parametrize("chat", [False, True], ids=["plain", "chat-template"])
def test_v2_at_limit_3_scores_as_lm_eval_does(
    reference: Any, shared: SharedContextLM, v2_home: Path, chat: bool
) -> None:
    requests = loglikelihood_requests(V2, Settings(home=v2_home).tasks_dir, 3, reference, chat)
    assert {r.task_name.split("_")[1] for r in requests if r.task_name} >= {
        "bbh",
        "gpqa",
        "musr",
        "mmlu",
    }
    expected = reference.loglikelihood(requests, disable_tqdm=True)
    got = shared.loglikelihood(requests, disable_tqdm=True)
    assert_same(expected, got)
    assert_same_choices(requests, expected, got)


def token_requests(seed: int, count: int, vocab: int = 500) -> list[Any]:
    rng = random.Random(seed)
    requests: list[Any] = []
    for _ in range(count):
        context = [rng.randrange(vocab) for _ in range(rng.randrange(1, 40))]
        for _ in range(rng.randrange(1, 6)):
            continuation = [rng.randrange(vocab) for _ in range(rng.randrange(1, 6))]
            requests.append((None, context, continuation))
    return requests


def test_one_token_continuations_and_long_contexts_as_lm_eval(tiny: Path) -> None:
    # A window of 48 tokens: some sequences below are longer, which lm-eval truncates from the left.
    reference, shared = load(tiny, "hf", max_length=48), load(tiny, MODEL_NAME, max_length=48)
    requests = token_requests(1, 20)
    requests += [(None, list(range(1, 60)), [7]), (None, list(range(1, 60)), [8, 9, 10])]
    requests += [(None, [5], [6]), (None, [5], [6, 7])]  # one-token context and continuation
    assert_same(reference._loglikelihood_tokens(requests), shared._loglikelihood_tokens(requests))
    assert shared.fallback_requests >= 2  # the two past the window went through lm-eval's path


def test_empty_continuations_behave_as_in_lm_eval(reference: Any, shared: SharedContextLM) -> None:
    alone = [(None, [1, 2, 3], [])]
    with pytest.raises(AssertionError):
        reference._loglikelihood_tokens(alone)
    with pytest.raises(AssertionError):
        shared._loglikelihood_tokens(alone)
    # Beside a one-token continuation of the same context, lm-eval answers from its cache.
    beside = [(None, [1, 2, 3], [4]), (None, [1, 2, 3], []), (None, [9, 8], [7, 6])]
    assert_same(reference._loglikelihood_tokens(beside), shared._loglikelihood_tokens(beside))


def test_an_empty_context_is_conditioned_on_the_prefix_token_as_in_lm_eval(
    reference: Any, shared: SharedContextLM
) -> None:
    requests = [Instance("loglikelihood", {}, ("", text), 0) for text in ("Yes", " No", "A B C")]
    assert_same(reference.loglikelihood(requests), shared.loglikelihood(requests))


def test_a_batch_that_does_not_fit_is_split_or_left_to_lm_eval(tiny: Path, reference: Any) -> None:
    requests = token_requests(2, 30)
    expected = reference._loglikelihood_tokens(requests)
    # 36 cache tokens: contexts batch in small passes, a group too big for one pass is split
    # across several, and only a continuation that alone needs more goes to lm-eval's path.
    small = load(tiny, MODEL_NAME, max_cache_tokens=36)
    assert_same(expected, small._loglikelihood_tokens(requests))
    groups, _ = group_by_context(requests, small.max_length)
    split = [g for g in groups if len(g.continuations) * g.widest > 36 >= g.widest]
    too_big = [g for g in groups if g.widest > 36]
    assert split and too_big and small.fallback_requests == sum(len(g.members) for g in too_big)
    assert small.shared_requests == len(requests) - small.fallback_requests


def test_one_big_option_group_is_split_across_passes_over_one_context(
    tiny: Path, reference: Any
) -> None:
    rng = random.Random(7)
    context = [rng.randrange(500) for _ in range(24)]
    options = [[rng.randrange(500) for _ in range(rng.randrange(1, 5))] for _ in range(19)]
    requests: list[Any] = [(None, context, option) for option in options]
    expected = reference._loglikelihood_tokens(requests)
    # 19 options of up to 4 tokens need 19 × 27 cache tokens in one pass; the bound allows 4 rows.
    small = load(tiny, MODEL_NAME, max_cache_tokens=4 * 27)
    widths: list[int] = []
    hook = small.model.register_forward_hook(
        lambda module, args, output: widths.append(args[0].shape[1])
    )
    try:
        assert_same(expected, small._loglikelihood_tokens(requests))
    finally:
        hook.remove()
    assert small.fallback_requests == 0 and small.shared_requests == len(requests)
    (group,), _ = group_by_context(requests, small.max_length)
    passes = list(plan_passes([group], len(context), 4 * 27))
    assert len(passes) >= 5 and [r for one in passes for r in one] == [(0, c) for c in range(19)]
    # The context ran once (after the one-token cache probe); every other call is a pass of
    # continuation tokens over its cache (one-token options need none).
    assert widths[:2] == [1, len(context)] and len(context) not in widths[2:]
    assert 1 <= len(widths) - 2 <= len(passes)


def test_passes_cover_every_row_once_within_the_bound() -> None:
    groups, unshared = group_by_context(token_requests(3, 40), max_length=2048)
    assert not unshared
    assert [len(g.context) for g in groups] == sorted(
        (len(g.context) for g in groups), reverse=True
    )
    batches = list(plan_batches(groups, max_contexts=4, max_cache_tokens=100))
    assert [g for b in batches for g in b] == groups
    for batch in batches:
        padded = len(batch[0].context)
        assert len(batch) <= 4 and (len(batch) == 1 or len(batch) * padded <= 100)
        passes = list(plan_passes(batch, padded, max_cache_tokens=100))
        rows = [(p, c) for p, g in enumerate(batch) for c in range(len(g.continuations))]
        assert [r for one in passes for r in one] == rows  # each once, in order
        # A group that fits one pass is never split: only one too big for any pass is.
        for position, group in enumerate(batch):
            holding = [n for n, one in enumerate(passes) if any(p == position for p, _ in one)]
            alone = len(group.continuations) * (padded + group.longest - 1)
            assert len(holding) == 1 or alone > 100, (position, holding)
        for one in passes:
            longest = max(len(batch[p].continuations[c]) for p, c in one)
            assert len(one) == 1 or len(one) * (padded + longest - 1) <= 100


def test_a_bad_cache_bound_is_refused(tiny: Path) -> None:
    with pytest.raises(ValueError, match="max_cache_tokens must be at least 1"):
        load(tiny, MODEL_NAME, max_cache_tokens=0)
