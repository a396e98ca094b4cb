"""The contamination test on real models and real benchmark data: its controls (a model that
memorized a benchmark's canonical order is caught; untrained models are not, at the nominal
rate), its limits, and its evidence from the store to the model page and a moderator's flag."""

import gzip
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import torch
from fastapi.testclient import TestClient

from openboard.cli._context import Context
from openboard.contamination import (
    EVIDENCE_FILE,
    Evidence,
    OrderScorer,
    ProbeSettings,
    benchmark_examples,
    read_evidence,
    run_probe,
    write_evidence,
)
from openboard.domain import BenchmarkScore, Role
from openboard.evaluation import SAMPLES_FILE, BenchmarkSpec, Suite
from openboard.queue import claim_next, finish
from openboard.worker._contamination import store_evidence

from .conftest import POSTGRES_SERVER
from .test_store import T0, new_request
from .web_helpers import add_user, sign_in

SEEN, UNSEEN = "boolean_expressions", "web_of_lies"
SUITE = Suite(
    name="control", version="1", task_source="include",
    benchmarks=(BenchmarkSpec("seen", "Seen", ("acc",), {SEEN: 2}),
                BenchmarkSpec("unseen", "Unseen", ("acc",), {UNSEEN: 2})),
)  # fmt: skip
SQLITE_ONLY = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs it"
)


@pytest.fixture(autouse=True)
def one_thread() -> Iterator[None]:
    """Tiny models run faster on one thread than on cores other tests are using."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _docs(shared_data: Path, task: str, count: int) -> list[dict[str, Any]]:
    examples: list[dict[str, Any]] = json.loads((shared_data / "bbh" / f"{task}.json").read_text())[
        "examples"
    ]
    return examples[:count]


@pytest.fixture
def artifacts(tmp_path: Path, shared_data: Path) -> Path:
    """The evaluation's per-sample records of two BBH tasks, in lm-eval's format (real data)."""
    folder = tmp_path / "artifacts"
    folder.mkdir()
    with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        for task in (SEEN, UNSEEN):
            for i, doc in enumerate(_docs(shared_data, task, 30)):
                prompt = f"Q: {doc['input']}\nA:" * 8  # eight-shot-sized: the evaluation's cost
                record = {"task": task, "doc_id": i, "doc": doc,
                          "arguments": [[prompt, " True"], [prompt, " False"]]}  # fmt: skip
                stream.write(json.dumps(record) + "\n")
    return folder


def _tokenizer(model_library: Path) -> Any:
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_library / "demo" / "tiny")


def _tiny(tokenizer: Any, seed: int, hidden: int = 32, spread: float = 0.5) -> Any:
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=len(tokenizer), hidden_size=hidden, intermediate_size=2 * hidden,
        num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=2,
        max_position_embeddings=2048, bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id,
        initializer_range=spread,  # 0.5 as the demo's tiny models: random, far from uniform
    )  # fmt: skip
    torch.manual_seed(seed)
    return LlamaForCausalLM(config).eval()


PROBE = ProbeSettings(examples=30, shard_size=3, permutations=4, budget=1.0, seed=0)


@SQLITE_ONLY
def test_untrained_models_show_no_evidence_at_the_nominal_rate(
    model_library: Path, artifacts: Path
) -> None:
    """Negative control: 40 untrained tiny models (each its own seed, and its own permutations)
    never saw BBH; the share with p < 0.05 stays near 5 % (at most 15 %)."""
    tokenizer = _tokenizer(model_library)
    p_values = []
    for seed in range(40):
        scorer = OrderScorer(_tiny(tokenizer, seed), tokenizer, "cpu", batch_size=5)
        probe = replace(PROBE, seed=seed)
        (seen, _) = run_probe(scorer, SUITE, artifacts, probe, lambda done, total: None)
        assert seen.shards == 10 and seen.p_value is not None
        p_values.append(seen.p_value)
    share = sum(p < 0.05 for p in p_values) / len(p_values)
    assert share <= 0.15, sorted(p_values)


def _memorize(model: Any, tokenizer: Any, texts: list[str], window: int, steps: int) -> None:
    """Fine-tune on the examples in canonical order, as a corpus holding the benchmark in
    documents of `window` consecutive examples would show them (each document after BOS)."""
    encoded = [tokenizer.encode(t, add_special_tokens=False) for t in texts]
    documents = [[tokenizer.bos_token_id] + [t for e in encoded[i : i + window] for t in e]
                 for i in range(0, len(encoded), window)]  # fmt: skip
    longest = max(len(d) for d in documents)
    pad = tokenizer.pad_token_id
    inputs = torch.tensor([d + [pad] * (longest - len(d)) for d in documents])
    mask = torch.tensor([[1] * len(d) + [0] * (longest - len(d)) for d in documents])
    labels = inputs.masked_fill(mask == 0, -100)
    optimizer = torch.optim.AdamW(model.parameters(), lr=5e-3)
    model.train()
    for _ in range(steps):
        loss = model(inputs, attention_mask=mask, labels=labels).loss
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    model.eval()


@SQLITE_ONLY
def test_a_model_that_memorized_a_benchmark_is_caught_on_it_only(
    model_library: Path, artifacts: Path, shared_data: Path
) -> None:
    """Positive control: a tiny model fine-tuned on one BBH task's examples in their published
    order (documents of three consecutive examples) until it has memorized them: its p-value on
    that benchmark is below 0.01; on a task it never saw, it is not."""
    tokenizer = _tokenizer(model_library)
    model = _tiny(tokenizer, seed=0, hidden=64, spread=0.02)  # trainable: the usual init
    texts = [json.dumps(d, ensure_ascii=False) + "\n" for d in _docs(shared_data, SEEN, 30)]
    _memorize(model, tokenizer, texts, window=PROBE.shard_size, steps=80)
    seen, unseen = run_probe(
        OrderScorer(model, tokenizer, "cpu", batch_size=5), SUITE, artifacts, PROBE,
        lambda done, total: None,
    )  # fmt: skip
    assert seen.p_value is not None and seen.p_value < 0.01, seen
    assert seen.mean_difference is not None and seen.mean_difference > 0
    assert unseen.p_value is not None and unseen.p_value >= 0.01, unseen


@SQLITE_ONLY
def test_long_examples_are_cut_alike_in_every_order(model_library: Path) -> None:
    tokenizer = _tokenizer(model_library)
    scorer = OrderScorer(_tiny(tokenizer, seed=0), tokenizer, "cpu", batch_size=2)
    cut = scorer.tokenize(["a long example " * 40, "short\n", "another long one " * 30], 16)
    assert cut.truncated == 2 and [len(t) for t in cut.tokens][::2] == [16, 16]
    forward, backward = scorer.log_likelihoods(
        [[t for e in cut.tokens for t in e], [t for e in reversed(cut.tokens) for t in e]]
    )
    assert forward != backward  # the same tokens, another order: another likelihood
    with pytest.raises(ValueError, match="same number of tokens"):
        scorer.log_likelihoods([[1, 2, 3], [1, 2]])


@SQLITE_ONLY
def test_too_few_examples_report_not_enough_examples(model_library: Path, tmp_path: Path) -> None:
    tokenizer = _tokenizer(model_library)
    folder = tmp_path / "few"
    folder.mkdir()
    with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        for i in range(10):
            record = {"task": SEEN, "doc_id": i, "doc": {"input": f"x{i}", "target": "True"},
                      "arguments": [["Q: " * 200, " True"]]}  # fmt: skip
            stream.write(json.dumps(record) + "\n")
    scorer = OrderScorer(_tiny(tokenizer, seed=0), tokenizer, "cpu", batch_size=5)
    (few, none) = run_probe(scorer, SUITE, folder, PROBE, lambda done, total: None)
    assert few.p_value is None and few.note and few.note.startswith("not enough examples: 10")
    assert none.p_value is None and none.note and "0 (at most 30 used) make 0 shard" in none.note
    tight = run_probe(scorer, SUITE, folder, replace(PROBE, shard_size=3, budget=0.01), print)
    assert tight[0].note and tight[0].note.startswith("not enough examples")


@SQLITE_ONLY
def test_the_evaluations_cost_counts_a_shared_context_once(tmp_path: Path) -> None:
    """Both backends compute a question's context once for all its choices: counting it once per
    choice made the probe cost a quarter of the real wall time under a 10% budget."""
    context, choices, generated = "C" * 1000, [" (A)", " (B)", " (C)", " (D)"], "an answer"
    folder = tmp_path / "cost"
    folder.mkdir()
    records = [
        {"task": SEEN, "doc_id": 0, "doc": {"q": 1}, "arguments": [[context, c] for c in choices]},
        {"task": SEEN, "doc_id": 1, "doc": {"q": 2}, "arguments": [["G" * 50, {"until": ["\\n"]}]],
         "resps": [[generated]]},
    ]  # fmt: skip
    with gzip.open(folder / SAMPLES_FILE, "wt", encoding="utf-8") as stream:
        stream.writelines(json.dumps(record) + "\n" for record in records)
    (seen, _) = (benchmark_examples(folder, spec) for spec in SUITE.benchmarks)
    assert seen.eval_chars == 1000 + 4 * 4 + 50 + len(generated)
    assert seen.texts == ('{"q": 1}\n', '{"q": 2}\n')


def _evidence(benchmark: str, p_value: float | None, note: str | None = None) -> Evidence:
    return Evidence(
        benchmark=benchmark, method="oren2024-sharded-exchangeability", p_value=p_value,
        statistic=None if p_value is None else 4.2, mean_difference=None if p_value is None else 3.5,
        shards=0 if p_value is None else 40, shard_size=5, permutations=4,
        examples=0 if p_value is None else 200, truncated=0 if p_value is None else 3, seed=77,
        cost_share=0.0 if p_value is None else 0.04, seconds=1.5, versions={"openboard": "x"},
        note=note,
    )  # fmt: skip


def test_evidence_is_stored_shown_and_left_to_a_moderator(context: Context, tmp_path: Path) -> None:
    store = context.store
    store.add_request(new_request(model="org/memorizer"), actor="alice")
    running = claim_next(store, "w1", lambda: T0)
    assert running is not None
    finish(store, running, actor="w1", at=T0, task_scores=[], average=50.0, eval_seconds=60.0,
           benchmark_scores=[BenchmarkScore("starter_bbh", 0.75, 50.0),
                             BenchmarkScore("starter_ifeval", 0.5, 50.0)], co2_kg=0.0)  # fmt: skip
    folder = tmp_path / "artifacts"
    folder.mkdir()
    written = [
        _evidence("starter_bbh", 1.2e-5),
        _evidence("starter_ifeval", None, "not enough examples: 4"),
    ]
    write_evidence(folder, written)
    assert read_evidence(folder) == written and (folder / EVIDENCE_FILE).is_file()
    store_evidence(store, running.id, folder, T0, "w1")
    store_evidence(store, running.id, folder, T0, "w1")  # a second write replaces, never duplicates

    with TestClient(context.web_app()) as http:
        (evaluation,) = http.get("/api/models/org/memorizer").json()["evaluations"]
        bbh, ifeval = evaluation["contamination"]
        assert bbh["p_value"] == 1.2e-5 and bbh["evidence"] is True and bbh["seed"] == 77
        assert bbh["reading"].startswith(
            "evidence that the model saw this benchmark in its published order"
        )
        assert ifeval["p_value"] is None and ifeval["reading"] == "not enough examples: 4"
        page = http.get("/models/org/memorizer").text
        assert "Contamination test" in page and "BBH (generated)" in page
        assert "verbatim exposure in the published order only" in page
        assert "Open a flag" not in page  # readers see the evidence; only moderators act on it
        assert store.moderation.flags() == []  # openboard never flags by itself

        add_user(store, "moderator", Role.ADMIN)
        sign_in(http, "moderator")
        page = http.get("/models/org/memorizer").text
        form = _FLAG_FORM.search(page)
        assert form, "no flag form beside the evidence"
        fields = dict(_FIELD.findall(form.group(0)))
        assert fields["link"].endswith(f"/models/org/memorizer#contamination-{running.id}")
        answer = http.post("/admin/actions", data=fields, follow_redirects=False)
        assert answer.status_code in (200, 303), answer.text
    (flag,) = store.moderation.flags()
    assert flag.model == "org/memorizer" and flag.link == fields["link"]
    assert "p = 1.2e-05" in flag.reason


_FLAG_FORM = re.compile(
    r'<form method="post" action="/admin/actions" class="admin-action inline">.*?</form>', re.S
)
_FIELD = re.compile(r'<input (?:type="hidden" )?name="(\w+)"[^>]*? value="([^"]*)"')
