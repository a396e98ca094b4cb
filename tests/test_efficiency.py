"""Every evaluation records what it cost, and the record reaches the model page and its twin."""

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.config import Settings
from openboard.evaluation import co2_kg, peak_tflops
from openboard.evaluation._efficiency import TokenMeter, efficiency


def test_an_openboard_evaluation_records_its_cost(
    cli_env: dict[str, str], context: Context, model_library: Path
) -> None:
    env = {**cli_env, "OPENBOARD_EVAL_BACKEND": "openboard", "OPENBOARD_EVAL_LIMIT": "2"}
    runner = CliRunner()
    submitted = runner.invoke(app, ["submit", "demo/tiny", "--model-type", "pretrained"], env=env)
    assert submitted.exit_code == 0, submitted.output
    assert "FINISHED" in runner.invoke(app, ["worker", "--once"], env=env).output
    (done,) = json.loads(runner.invoke(app, ["queue", "--json"], env=env).output)["requests"]
    record = json.loads(
        (context.settings.artifacts_dir / str(done["id"]) / "reproducibility.json").read_text()
    )
    assert record["backend"] == "openboard"
    assert record["command"].startswith(
        "python -m openboard.evaluation.lm_eval_cli --model openboard-hf"
    )
    cost = record["efficiency"]
    weights = sum(f.stat().st_size for f in (model_library / "demo" / "tiny").glob("*.safetensors"))
    assert cost["prompt_tokens"] > 0 and cost["generated_tokens"] > 0  # starter has IFEval
    assert cost["tokens_per_second"] > 0 and cost["peak_memory_bytes"] > weights
    assert cost["peak_memory_kind"] == "peak_rss" and cost["devices"] == 1
    assert cost["gpu_hours"] is None and cost["mfu"] is None  # a CPU run
    assert cost["device_hours"] == pytest.approx(cost["wall_seconds"] / 3600)
    assert set(cost["phase_seconds"]) >= {"loglikelihood", "generate_until"}
    # The board's figures are stored with the result, from the same record.
    stored = context.store.get_request(done["id"])
    assert stored is not None and stored.eval_backend == "openboard"
    assert stored.eval_tokens == cost["prompt_tokens"] + cost["generated_tokens"]
    assert stored.tokens_per_second == pytest.approx(cost["tokens_per_second"])
    assert stored.device_hours == pytest.approx(cost["device_hours"])
    assert stored.gpu_hours is None and stored.eval_seconds == pytest.approx(record["wall_seconds"])
    # A CPU run is charged the CPU's power, not 8 GPUs at 0.7 kW.
    settings = Settings(
        **{
            k.removeprefix("OPENBOARD_").lower(): v
            for k, v in env.items()
            if k.startswith("OPENBOARD_")
        }
    )
    expected = co2_kg(
        record["wall_seconds"], settings.co2_cpu_power_kw, settings.co2_grid_g_per_kwh
    )
    assert record["co2_kg"] == pytest.approx(expected)
    with TestClient(context.web_app()) as http:
        twin = http.get("/api/models/demo/tiny").json()
        page = http.get("/models/demo/tiny").text
    assert twin["evaluations"][0]["reproducibility"]["efficiency"] == cost
    assert "tokens/s, openboard backend" in page and "process RSS" in page


def test_gpu_power_and_mfu_are_the_devices_own() -> None:
    gpu = Settings(eval_device="cuda")
    assert gpu.evaluation_power_kw(2) == pytest.approx(1.4)
    assert Settings(eval_device="cpu").evaluation_power_kw(1) == pytest.approx(0.15)
    assert Settings(eval_device="cuda", co2_power_kw=5.6).evaluation_power_kw(1) == 5.6
    assert peak_tflops("NVIDIA H200") == 989.0 and peak_tflops("NVIDIA A100-SXM4-80GB") == 312.0
    assert peak_tflops("NVIDIA L40S") == 362.0 and peak_tflops("Some NPU") is None
    meter = TokenMeter()
    meter.prompt_tokens, meter.generated_tokens = 900_000, 100_000
    record = efficiency(
        meter, device="cuda", device_name="NVIDIA H200", devices=1, backend="openboard",
        wall_seconds=10.0, parameters=135_000_000, peak_memory_bytes=2**30,
    )  # fmt: skip
    # 2 × 135e6 × 1e6 FLOPs in 10 s against 989 TFLOP/s.
    assert record.mfu == pytest.approx(2 * 135e6 * 1e6 / (10 * 989e12))
    assert record.gpu_hours == pytest.approx(10 / 3600) and record.tokens_per_second == 100_000
