"""Which lm-eval backend runs a request (hf or vLLM), its model arguments, and the refusals.

vLLM needs a GPU and is not installed on CPU machines: the choice is a pure function tested as a
table, and vLLM's arguments are built with the installation check answered "installed". The real
run on the CPU (hf) is in test_end_to_end; a worker set to vLLM on a CPU fails the request with
its reason below.
"""

import json
import shlex
from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.domain import Precision, WeightType
from openboard.evaluation import (
    STARTER,
    Backend,
    BackendSetting,
    EvaluationSpec,
    ModelLoadError,
    UnsupportedBackendError,
    _harness,
    choose_backend,
)
from openboard.worker._artifacts import reproduction_command

from .conftest import POSTGRES_SERVER
from .test_store import new_request

SPEC = EvaluationSpec(
    model_path=Path("/models/org/m"), precision=Precision.BFLOAT16, suite=STARTER,
    tasks_dir=Path("/tmp/tasks"), device="cuda", backend_setting=BackendSetting.AUTO,
)  # fmt: skip
P, W = Precision, WeightType
AUTO, VLLM, HF = BackendSetting.AUTO, BackendSetting.VLLM, BackendSetting.HF
OPENBOARD = BackendSetting.OPENBOARD


@pytest.mark.parametrize(
    ("setting", "device", "precision", "weights", "installed", "expected"),
    [
        (HF, "cuda", P.BFLOAT16, W.ORIGINAL, True, Backend.HF),
        (AUTO, "cuda", P.BFLOAT16, W.ORIGINAL, True, Backend.VLLM),
        (AUTO, "cuda:1", P.FLOAT16, W.ADAPTER, True, Backend.VLLM),
        (AUTO, "cuda", P.GPTQ, W.ORIGINAL, True, Backend.VLLM),
        (AUTO, "cuda", P.BFLOAT16, W.ORIGINAL, False, Backend.OPENBOARD),  # not installed
        (AUTO, "cpu", P.BFLOAT16, W.ORIGINAL, True, Backend.OPENBOARD),
        (AUTO, "cuda", P.INT8, W.ORIGINAL, True, Backend.OPENBOARD),  # bitsandbytes: transformers
        (AUTO, "cuda", P.INT4, W.ORIGINAL, True, Backend.OPENBOARD),
        (AUTO, "cuda", P.BFLOAT16, W.DELTA, True, Backend.OPENBOARD),
        (VLLM, "cuda", P.BFLOAT16, W.ORIGINAL, True, Backend.VLLM),
        (OPENBOARD, "cuda", P.BFLOAT16, W.ORIGINAL, True, Backend.OPENBOARD),
        (OPENBOARD, "cpu", P.INT8, W.ORIGINAL, False, Backend.OPENBOARD),
    ],
)
def test_backend_choice(
    setting: BackendSetting, device: str, precision: Precision, weights: WeightType,
    installed: bool, expected: Backend,
) -> None:  # fmt: skip
    assert choose_backend(setting, device, precision, weights, installed) is expected


@pytest.mark.parametrize(
    ("device", "precision", "weights", "installed", "words"),
    [
        ("cpu", P.BFLOAT16, W.ORIGINAL, True, "vLLM needs a GPU; this worker evaluates on cpu"),
        ("cuda", P.BFLOAT16, W.ORIGINAL, False, "vllm package is not installed"),
        ("cuda", P.INT8, W.ORIGINAL, True, "not used for 8bit"),
        ("cuda", P.FLOAT16, W.DELTA, True, "cannot apply Delta weights"),
    ],
)
def test_a_worker_set_to_vllm_refuses_what_vllm_cannot_run(
    device: str, precision: Precision, weights: WeightType, installed: bool, words: str
) -> None:
    with pytest.raises(UnsupportedBackendError) as info:
        choose_backend(VLLM, device, precision, weights, installed)
    assert words in info.value.message and "eval_backend to auto" in info.value.hint


@pytest.fixture
def vllm_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_harness, "vllm_installed", lambda: True)


@pytest.mark.usefixtures("vllm_installed")
def test_vllm_arguments_for_original_weights() -> None:
    spec = replace(SPEC, tensor_parallel_size=2, gpu_memory_utilization=0.8, seed=7)
    assert spec.backend() is Backend.VLLM
    assert spec.model_args() == {
        "pretrained": "/models/org/m", "dtype": "bfloat16", "trust_remote_code": False,
        "tensor_parallel_size": 2, "gpu_memory_utilization": 0.8, "seed": 7,
    }  # fmt: skip
    # vLLM has its own GPTQ kernels: no gptqmodel needed, and no quantization argument.
    gptq = replace(spec, precision=Precision.GPTQ).model_args()
    assert gptq["dtype"] == "float16" and "quantization" not in gptq


@pytest.mark.usefixtures("vllm_installed")
def test_vllm_runs_an_adapter_as_lora_with_its_rank(tmp_path: Path) -> None:
    adapter, base = tmp_path / "adapter", tmp_path / "base"
    adapter.mkdir()
    (adapter / "adapter_config.json").write_text(json.dumps({"r": 64, "peft_type": "LORA"}))
    spec = replace(SPEC, model_path=adapter, base_path=base, weight_type=WeightType.ADAPTER)
    args = spec.model_args()
    assert args["pretrained"] == str(base) and args["lora_local_path"] == str(adapter)
    assert args["max_lora_rank"] == 64 and args["tokenizer"] == str(base)
    (adapter / "tokenizer_config.json").write_text("{}")  # an adapter that added tokens
    assert spec.model_args()["tokenizer"] == str(adapter)
    (adapter / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA"}))
    with pytest.raises(ModelLoadError, match="no readable LoRA rank"):
        spec.model_args()


@pytest.mark.usefixtures("vllm_installed")
def test_the_reproduction_command_names_the_backend(context: Context, tmp_path: Path) -> None:
    request = context.store.add_request(new_request(revision="c" * 40), actor="alice")
    command = shlex.split(reproduction_command(request, SPEC, tmp_path))
    assert command[:3] == ["lm-eval", "--model", "vllm"]
    model_args = command[command.index("--model_args") + 1]
    assert model_args.startswith(f"pretrained=org/m,revision={'c' * 40},dtype=bfloat16,")
    assert "tensor_parallel_size=1" in model_args and "/models/" not in model_args
    hf = shlex.split(reproduction_command(request, replace(SPEC, backend_setting=HF), tmp_path))
    assert hf[:3] == ["lm-eval", "--model", "hf"]
    assert (
        hf[hf.index("--model_args") + 1] == f"pretrained=org/m,revision={'c' * 40},dtype=bfloat16"
    )
    ours = replace(SPEC, backend_setting=OPENBOARD)
    shared = shlex.split(reproduction_command(request, ours, tmp_path))
    # lm-eval's own command line, with openboard-hf registered first.
    assert shared[:5] == [
        "python",
        "-m",
        "openboard.evaluation.lm_eval_cli",
        "--model",
        "openboard-hf",
    ]
    assert shared[shared.index("--model_args") + 1] == hf[hf.index("--model_args") + 1]


# The PostgreSQL pass stores an "unsupported here" failure with its reason through the same
# worker path in test_end_to_end's test_failures_are_stored_with_their_reason (8bit on a CPU).
@pytest.mark.skipif(bool(POSTGRES_SERVER), reason="the backend's refusal: the SQLite pass runs it")
def test_a_cpu_worker_set_to_vllm_fails_the_request_with_its_reason(
    cli_env: dict[str, str],
) -> None:
    env = {**cli_env, "OPENBOARD_EVAL_BACKEND": "vllm", "OPENBOARD_EVAL_LIMIT": "2"}
    runner = CliRunner()
    submitted = runner.invoke(app, ["submit", "demo/tiny", "--model-type", "pretrained"], env=env)
    assert submitted.exit_code == 0, submitted.output
    assert "FAILED" in runner.invoke(app, ["worker", "--once"], env=env).output
    (failed,) = json.loads(runner.invoke(app, ["queue", "--json"], env=env).output)["requests"]
    assert failed["failure_kind"] == "unsupported here"
    assert "set to evaluate with vLLM, but vLLM needs a GPU" in failed["failure_reason"]
