"""`openboard-hf`: lm-eval's HF model, scoring each shared context once.

Multiple-choice tasks ask for the log-likelihood of every option after the same prompt. lm-eval's
`hf` model runs the whole prompt again for each option whose tokens differ before the last one
(BBH, GPQA, MuSR). This subclass groups the requests by context tokens, runs each context once,
keeps its key/value cache, and scores all of its continuations in one batched pass over that
cache. A group whose continuations together exceed the memory bound is split across several
passes over the same cached context. Tokenization, truncation, request semantics and generation
stay lm-eval's: only `_loglikelihood_tokens` changes, and every request it cannot share exactly (a
sequence longer than the window, an empty part, one continuation that alone exceeds the memory
bound, an encoder-decoder model, a cache that is not plain full attention) goes through lm-eval's
own code unchanged.

Importing this module registers the model with lm-eval's registry.
"""

from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from lm_eval.api.registry import register_model
from lm_eval.models import huggingface
from lm_eval.models.huggingface import HFLM
from torch.nn import functional
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

MODEL_NAME = "openboard-hf"

# lm-eval's request: ((context string, continuation string) or None, context tokens, continuation tokens)
TokenRequest = tuple[tuple[str, str] | None, list[int], list[int]]
Answer = tuple[float, bool]
# One continuation row of a pass: its group's position in the context batch, and which of the
# group's continuations it is.
Row = tuple[int, int]


@dataclass(frozen=True, slots=True)
class ContextGroup:
    """One context and the requests (by their index in the call) that continue it."""

    context: tuple[int, ...]
    members: tuple[int, ...]
    continuations: tuple[tuple[int, ...], ...]

    @property
    def longest(self) -> int:
        return max(len(c) for c in self.continuations)

    @property
    def widest(self) -> int:
        """Tokens of key/value cache its widest continuation row holds: the least one pass over
        its context needs, since a group splits across passes down to single rows."""
        return len(self.context) + self.longest - 1


def group_by_context(
    requests: Sequence[TokenRequest], max_length: int
) -> tuple[list[ContextGroup], list[int]]:
    """The shareable requests grouped by context (longest context first, as lm-eval orders its
    batches, so that a batch too big for memory fails at once), and the indices of the others."""
    grouped: dict[tuple[int, ...], list[int]] = defaultdict(list)
    unshared: list[int] = []
    for index, (_, context, continuation) in enumerate(requests):
        # lm-eval truncates a sequence past the window from the left, which changes the context
        # per continuation: those stay on its path.
        if context and continuation and len(context) + len(continuation) <= max_length + 1:
            grouped[tuple(context)].append(index)
        else:
            unshared.append(index)
    groups = [
        ContextGroup(
            context=context,
            members=tuple(members),
            continuations=tuple(tuple(requests[i][2]) for i in members),
        )
        for context, members in grouped.items()
    ]
    groups.sort(key=lambda g: (-len(g.context), g.context))
    return groups, unshared


def plan_batches(
    groups: Sequence[ContextGroup], max_contexts: int, max_cache_tokens: int
) -> Iterator[list[ContextGroup]]:
    """Consecutive groups (sorted by length) whose contexts run in one padded pass: at most
    `max_contexts` of them, and at most `max_cache_tokens` context tokens, padding included."""
    batch: list[ContextGroup] = []
    for group in groups:
        padded = len(batch[0].context) if batch else len(group.context)
        if batch and (len(batch) >= max_contexts or (len(batch) + 1) * padded > max_cache_tokens):
            yield batch
            batch = []
        batch.append(group)
    if batch:
        yield batch


def plan_passes(
    batch: Sequence[ContextGroup], padded_context: int, max_cache_tokens: int
) -> Iterator[list[Row]]:
    """The continuation passes over a context batch's cache, in order, each within
    `max_cache_tokens` (rows × (padded context + its longest continuation − 1)): whole groups
    share a pass while they fit, and a group too big for one is split across passes over the
    same cached context. A row that alone exceeds the bound (its context padded past it) goes
    alone."""
    current: list[Row] = []
    longest = 0
    for position, group in enumerate(batch):
        whole = (len(current) + len(group.continuations)) * (
            padded_context + max(longest, group.longest) - 1
        )
        if current and whole > max_cache_tokens:  # a group starts a pass rather than straddle two
            yield current
            current, longest = [], 0
        for choice, continuation in enumerate(group.continuations):
            wider = max(longest, len(continuation))
            if current and (len(current) + 1) * (padded_context + wider - 1) > max_cache_tokens:
                yield current
                current, wider = [], len(continuation)
            current.append((position, choice))
            longest = wider
    if current:
        yield current


@register_model(MODEL_NAME)
class SharedContextLM(HFLM):  # type: ignore[misc]  # lm-eval is untyped
    """lm-eval's `hf` model whose log-likelihoods compute each distinct context once.

    `max_cache_tokens` bounds the key/value cache a batch may hold (context rows, and
    continuation rows each with its copy of its context); by default it is what lm-eval's own
    first batch would hold in log-probabilities, converted to cache tokens for this model.
    """

    def __init__(self, *args: Any, max_cache_tokens: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if max_cache_tokens is not None and int(max_cache_tokens) < 1:
            raise ValueError(f"max_cache_tokens must be at least 1, not {max_cache_tokens}")
        self.max_cache_tokens = int(max_cache_tokens) if max_cache_tokens is not None else None
        self.shared_requests = 0  # how many requests the shared path scored (for the record)
        self.fallback_requests = 0
        self._shareable: bool | None = None

    def _cache_is_shareable(self) -> bool:
        """Whether this model's cache can be copied row by row and extended: plain full
        attention (no sliding window, no recurrent state), probed once on one token."""
        if self._shareable is None:
            probe = torch.zeros((1, 1), dtype=torch.long, device=self.device)
            with self._inference():
                output = self.model(probe, use_cache=True, logits_to_keep=1)
            self._shareable = _plain_cache(output.cache)
        return self._shareable

    def _loglikelihood_tokens(
        self,
        requests: list[TokenRequest],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[Answer]:
        # An empty part is lm-eval's own business: it asserts, or (an empty continuation beside
        # a one-token one) answers from its one-token cache. The whole call takes its path.
        empty = any(not context or not continuation for _, context, continuation in requests)
        if self.backend != "causal" or empty or not requests or not self._cache_is_shareable():
            return list(super()._loglikelihood_tokens(requests, disable_tqdm, override_bs))
        groups, unshared = group_by_context(requests, self.max_length)
        answers: list[Answer | None] = [None] * len(requests)
        if groups:
            batch_size = self._context_batch_size(groups, override_bs)
            budget = self._cache_budget(groups, batch_size)
            fits = [g for g in groups if g.widest <= budget]
            unshared += [i for g in groups if g.widest > budget for i in g.members]
            self._score_shared(requests, fits, batch_size, budget, answers, disable_tqdm)
        if unshared:
            unshared.sort()
            fallback = super()._loglikelihood_tokens(
                [requests[i] for i in unshared], disable_tqdm, override_bs
            )
            for index, answer in zip(unshared, fallback, strict=True):
                answers[index] = answer
            self.fallback_requests += len(unshared)
        assert all(a is not None for a in answers)
        return [a for a in answers if a is not None]

    def _context_batch_size(self, groups: Sequence[ContextGroup], override_bs: int | None) -> int:
        if self.batch_size != "auto":
            return int(self.batch_size)
        if override_bs is not None:
            return override_bs
        longest = groups[0]
        probe: list[TokenRequest] = [(None, list(longest.context), list(longest.continuations[0]))]
        return int(self._detect_batch_size(probe, 0))

    def _cache_budget(self, groups: Sequence[ContextGroup], batch_size: int) -> int:
        if self.max_cache_tokens is not None:
            return self.max_cache_tokens
        # lm-eval's first batch holds batch_size × its longest sequence log-probabilities of the
        # whole vocabulary (float32); a cache token holds keys and values of every layer.
        config = self.model.config
        text = getattr(config, "text_config", None) or config
        heads = getattr(text, "num_key_value_heads", None) or text.num_attention_heads
        head_dim = getattr(text, "head_dim", None) or text.hidden_size // text.num_attention_heads
        element = (
            torch.finfo(self.model.dtype).bits // 8 if self.model.dtype.is_floating_point else 4
        )
        cache_token = 2 * text.num_hidden_layers * heads * head_dim * element
        logprob_token = text.vocab_size * 4
        longest = max(len(g.context) + g.longest - 1 for g in groups)
        # Two copies at most are alive at once: the contexts' cache and one pass's expansion.
        return max(1, int(batch_size * longest * logprob_token // (2 * cache_token)))

    def _score_shared(
        self,
        requests: Sequence[TokenRequest],
        groups: Sequence[ContextGroup],
        batch_size: int,
        budget: int,
        answers: list[Answer | None],
        disable_tqdm: bool,
    ) -> None:
        total = sum(len(g.members) for g in groups)
        bar = huggingface.tqdm(
            total=total,
            disable=(disable_tqdm or (self.rank != 0)),
            desc="Running loglikelihood requests (shared contexts)",
        )
        for batch in plan_batches(groups, batch_size, budget):
            for index, answer in self._score_batch(batch, budget):
                answers[index] = answer
                key = requests[index][0]
                if key is not None:  # rolling windows come without a key, as in lm-eval
                    self.cache_hook.add_partial("loglikelihood", key, answer)
                bar.update(1)
        bar.close()
        self.shared_requests += total

    def _score_batch(
        self, batch: Sequence[ContextGroup], budget: int
    ) -> Iterator[tuple[int, Answer]]:
        padded = len(batch[0].context)
        lengths = [len(g.context) for g in batch]
        inputs = torch.zeros((len(batch), padded), dtype=torch.long, device=self.device)
        for row, group in enumerate(batch):
            inputs[row, : len(group.context)] = torch.tensor(group.context, dtype=torch.long)
        # Right padding needs no mask for the context rows: causal attention keeps a real token
        # from ever seeing the padding after it (lm-eval pads its batches the same way).
        last = torch.tensor(lengths, device=self.device) - 1
        keep = torch.unique(last)
        with self._inference():
            output = self.model(inputs, use_cache=True, logits_to_keep=keep)
        cache = output.cache
        column = torch.searchsorted(keep, last)
        first = functional.log_softmax(
            output.logits[torch.arange(len(batch), device=self.device), column],
            dim=-1,
            dtype=self.softmax_dtype,
        )  # [contexts, vocab]: the distribution of every continuation's first token
        for planned in plan_passes(batch, padded, budget):
            yield from self._score_pass(batch, planned, padded, cache, first)

    def _score_pass(
        self,
        batch: Sequence[ContextGroup],
        planned: list[Row],
        padded: int,
        cache: DynamicCache,
        first: torch.Tensor,
    ) -> Iterator[tuple[int, Answer]]:
        rows = [(p, batch[p].continuations[c], batch[p].members[c]) for p, c in planned]
        width = max(len(c) for _, c, _ in rows) - 1
        logprobs: torch.Tensor | None = None
        if width > 0:
            logprobs = self._continuation_logprobs(batch, rows, padded, width, cache)
        for row, (position, continuation, member) in enumerate(rows):
            target = torch.tensor(continuation, dtype=torch.long, device=self.device)
            steps = first[position].unsqueeze(0)
            if logprobs is not None and len(continuation) > 1:
                steps = torch.cat([steps, logprobs[row, : len(continuation) - 1]])
            greedy = bool((steps.argmax(dim=-1) == target).all())
            score = float(torch.gather(steps, 1, target.unsqueeze(-1)).sum())
            yield member, (score, greedy)

    def _continuation_logprobs(
        self,
        batch: Sequence[ContextGroup],
        rows: list[tuple[int, tuple[int, ...], int]],
        padded: int,
        width: int,
        cache: DynamicCache,
    ) -> torch.Tensor:
        """Log-probabilities after each continuation token but the last, over its context's cache."""
        count = len(rows)
        inputs = torch.zeros((count, width), dtype=torch.long, device=self.device)
        mask = torch.zeros((count, padded + width), dtype=torch.long, device=self.device)
        positions = torch.zeros((count, width), dtype=torch.long, device=self.device)
        for row, (position, continuation, _) in enumerate(rows):
            length = len(batch[position].context)
            tokens = continuation[:-1]
            inputs[row, : len(tokens)] = torch.tensor(tokens, dtype=torch.long)
            mask[row, :length] = 1
            mask[row, padded : padded + len(tokens)] = 1
            positions[row] = torch.arange(length, length + width)
        index = torch.tensor([p for p, _, _ in rows], dtype=torch.long, device=self.device)
        expanded = _select_rows(cache, index)
        with self._inference():
            logits = self.model(
                inputs,
                attention_mask=mask,
                position_ids=positions,
                cache=expanded,
                use_cache=True,
            ).logits
        return functional.log_softmax(logits, dim=-1, dtype=self.softmax_dtype)

    def _inference(self) -> AbstractContextManager[None]:
        return _inference(self.device.type, self.mixed_precision_dtype)


@contextmanager
def _inference(device_type: str, dtype: torch.dtype | None) -> Iterator[None]:
    """no_grad and lm-eval's optional autocast, exactly as its `_model_call` sets them."""
    with (
        torch.no_grad(),
        torch.autocast(device_type=device_type, dtype=dtype, enabled=dtype is not None),
    ):
        yield


def _plain_cache(cache: object) -> bool:
    layers = getattr(cache, "layers", None)
    return (
        isinstance(cache, DynamicCache)
        and bool(layers)
        and all(type(layer) is DynamicLayer for layer in layers or [])
    )


def _select_rows(cache: DynamicCache, index: torch.Tensor) -> DynamicCache:
    """A new cache holding the given batch rows of `cache` (which stays as it is)."""
    selected = DynamicCache()
    for number, layer in enumerate(cache.layers):
        assert isinstance(layer, DynamicLayer)  # _plain_cache admitted only these
        assert layer.keys is not None and layer.values is not None
        selected.update(layer.keys[index], layer.values[index], number)
    return selected


__all__ = [
    "MODEL_NAME",
    "ContextGroup",
    "SharedContextLM",
    "group_by_context",
    "plan_batches",
    "plan_passes",
]
