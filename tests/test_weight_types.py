"""Adapter (LoRA through peft) and Delta submissions: validated against their base, evaluated on it."""

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from openboard.cli import app
from openboard.demo import TinyModelSpec, write_tiny_model
from openboard.demo._git import commit_all
from openboard.evaluation import STARTER, prepare_tasks

from .conftest import POSTGRES_SERVER
from .reference import lm_eval_raw_scores

LIMIT = 8
SEED = 1234
CARD = (
    "---\nlicense: apache-2.0\n---\n# {name}\n\n"
    + "A small test artefact made by openboard's test suite. " * 5
)


def run(env: dict[str, str], *args: str) -> Any:
    return CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)


@pytest.fixture(scope="module")
def models(model_library: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import load_file, save_file
    from transformers import AutoModelForCausalLM

    root = tmp_path_factory.mktemp("weight-types")
    base = root / "demo" / "tiny"
    shutil.copytree(model_library / "demo" / "tiny", base)

    adapter = root / "demo" / "tiny-lora"
    torch.manual_seed(7)
    model = AutoModelForCausalLM.from_pretrained(base, dtype=torch.bfloat16)
    lora = get_peft_model(
        model, LoraConfig(r=4, target_modules=["q_proj", "v_proj"], init_lora_weights=False)
    )
    lora.save_pretrained(adapter)
    config = json.loads((adapter / "adapter_config.json").read_text())
    config["base_model_name_or_path"] = "demo/tiny"
    (adapter / "adapter_config.json").write_text(json.dumps(config))
    (adapter / "README.md").write_text(CARD.format(name="tiny-lora"))
    commit_all(adapter, "LoRA adapter")

    tuned = root / "scratch" / "tuned"
    write_tiny_model(tuned, TinyModelSpec(seed=5))
    delta = root / "demo" / "tiny-delta"
    shutil.copytree(base, delta, ignore=shutil.ignore_patterns(".git", "*.safetensors"))
    base_weights = load_file(base / "model.safetensors")
    tuned_weights = load_file(tuned / "model.safetensors")
    save_file(
        {k: tuned_weights[k] - base_weights[k] for k in base_weights},
        delta / "model.safetensors",
        metadata={"format": "pt"},
    )
    commit_all(delta, "delta weights")

    narrow = root / "demo" / "narrow"
    write_tiny_model(narrow, TinyModelSpec(seed=3, hidden_size=32))
    return root


@pytest.fixture
def env(cli_env: dict[str, str], models: Path) -> dict[str, str]:
    return {
        **cli_env,
        "OPENBOARD_MODELS": str(models),
        "OPENBOARD_EVAL_LIMIT": str(LIMIT),
        "OPENBOARD_SEED": str(SEED),
    }


def _raw_scores(env: dict[str, str]) -> dict[str, float]:
    (row,) = json.loads(run(env, "leaderboard", "--json").output)["rows"]
    record = json.loads(
        (
            Path(env["OPENBOARD_HOME"])
            / "artifacts"
            / str(row["request_id"])
            / "reproducibility.json"
        ).read_text()
    )
    return {s["task"]: s["raw"] for s in record["scores"]}


# On PostgreSQL the Delta case alone: both store their weight type and base model and have the
# worker read them back; loading through peft instead of adding a delta is no database's concern.
ON_SQLITE_ONLY = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="a real evaluation: the SQLite pass runs it, PostgreSQL the Delta"
)


@pytest.mark.parametrize(
    ("model", "weight_type", "arg"),
    [pytest.param("demo/tiny-lora", "Adapter", "peft", marks=ON_SQLITE_ONLY),
     ("demo/tiny-delta", "Delta", "delta")],
)  # fmt: skip
def test_adapter_and_delta_are_evaluated_on_their_base(
    env: dict[str, str], models: Path, tmp_path: Path, model: str, weight_type: str, arg: str
) -> None:
    submitted = run(
        env,
        "submit",
        model,
        "--model-type",
        "fine-tuned",
        "--weight-type",
        weight_type,
        "--base-model",
        "demo/tiny",
        "--json",
    )
    assert submitted.exit_code == 0, submitted.output
    verdict = json.loads(submitted.output)
    if weight_type == "Adapter":
        base_params = json.loads(
            run(env, "validate", "demo/tiny", "--model-type", "pretrained", "--json").output
        )["params"]
        assert verdict["params"] > base_params  # adapter + base, as the public site counted
    assert "FINISHED" in run(env, "worker", "--once").output
    model_args = {"pretrained": str(models / "demo" / "tiny"), arg: str(models / model)}
    if arg == "peft":
        model_args["tokenizer"] = str(models / "demo" / "tiny")
    include = prepare_tasks(STARTER, tmp_path / "tasks")
    assert _raw_scores(env) == lm_eval_raw_scores(
        model_args, STARTER, include, LIMIT, SEED, tmp_path / "nltk"
    )


def test_adapter_without_base_or_config_is_refused(env: dict[str, str], models: Path) -> None:
    no_base = run(
        env,
        "validate",
        "demo/tiny-lora",
        "--model-type",
        "fine-tuned",
        "--weight-type",
        "Adapter",
        "--json",
    )
    assert no_base.exit_code == 1
    assert "base_model" in [f["check"] for f in json.loads(no_base.output)["findings"]]
    not_adapter = run(
        env,
        "validate",
        "demo/tiny",
        "--model-type",
        "fine-tuned",
        "--weight-type",
        "Adapter",
        "--base-model",
        "demo/tiny",
        "--json",
    )
    assert not_adapter.exit_code == 1
    messages = [
        f["message"] for f in json.loads(not_adapter.output)["findings"] if f["check"] == "adapter"
    ]
    assert messages == ["an Adapter submission needs adapter_config.json"]


def test_delta_with_other_shapes_than_its_base_is_refused(env: dict[str, str]) -> None:
    result = run(
        env,
        "validate",
        "demo/tiny-delta",
        "--model-type",
        "fine-tuned",
        "--weight-type",
        "Delta",
        "--base-model",
        "demo/narrow",
        "--json",
    )
    assert result.exit_code == 1
    (finding,) = [f for f in json.loads(result.output)["findings"] if f["check"] == "delta"]
    assert "differ in shape" in finding["message"] and finding["hint"]


def test_base_model_is_held_to_the_rules(
    env: dict[str, str], model_library: Path, models: Path
) -> None:
    shutil.copytree(
        model_library / "bad" / "remote-code", models / "bad" / "remote-code", dirs_exist_ok=True
    )
    result = run(
        env,
        "validate",
        "demo/tiny-lora",
        "--model-type",
        "fine-tuned",
        "--weight-type",
        "Adapter",
        "--base-model",
        "bad/remote-code",
        "--json",
    )
    assert result.exit_code == 1
    checks = [f["check"] for f in json.loads(result.output)["findings"]]
    assert "base_model.remote_code" in checks
