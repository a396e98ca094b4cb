"""One request's evaluation from checkout to artifacts: what runs inside the evaluation process."""

import json
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from openboard.config import Settings
from openboard.domain import BenchmarkScore, ModelId, TaskScore
from openboard.evaluation import (
    BackendSetting,
    Efficiency,
    EvaluationSpec,
    co2_kg,
    dataset_provenance,
    get_suite,
    prepare_tasks,
    run_evaluation,
)
from openboard.sources import ModelSource
from openboard.store import EvalRequest, EvaluationCost
from openboard.worker._artifacts import write_artifacts
from openboard.worker._contamination import contamination_stage
from openboard.worker._job import Finished

OUTCOME_FILE = "outcome.json"
OUTCOME_SCHEMA_VERSION = 3  # 2: the scorer; 3: the cost


def evaluate_request(
    settings: Settings,
    source: ModelSource,
    request: EvalRequest,
    workdir: Path,
    progress: Callable[[int, int], None],
) -> Finished:
    suite = get_suite(request.suite, settings.suites_dir)
    model_path = source.checkout(ModelId.parse(request.model), request.revision)
    base_path = (
        source.checkout(ModelId.parse(request.base_model), request.base_revision)
        if request.base_model and request.base_revision
        else None
    )
    spec = EvaluationSpec(
        model_path=model_path,
        precision=request.precision,
        suite=suite,
        tasks_dir=settings.tasks_dir,
        apply_chat_template=request.use_chat_template,
        limit=settings.eval_limit,
        batch_size=settings.batch_size,
        device=settings.eval_device,
        seed=settings.seed,
        nltk_data=settings.nltk_data,
        weight_type=request.weight_type,
        base_path=base_path,
        offline=settings.offline,
        backend_setting=BackendSetting(settings.eval_backend),
        tensor_parallel_size=settings.vllm_tensor_parallel_size,
        gpu_memory_utilization=settings.vllm_gpu_memory_utilization,
    )
    seen = [0, 0]  # the evaluation's last count: the contamination stage counts on from it

    def evaluation_progress(done: int, total: int) -> None:
        seen[:] = [done, total]
        progress(done, total)

    output = run_evaluation(spec, progress=evaluation_progress)
    devices = output.efficiency.devices if output.efficiency else 1
    power_kw = settings.evaluation_power_kw(devices)
    co2 = co2_kg(output.wall_seconds, power_kw, settings.co2_grid_g_per_kwh)
    # Checked after the run, so that a file changed while it ran still marks the result.
    data = dataset_provenance(settings.datasets_dir) if suite.task_source == "v2" else None
    include_path = prepare_tasks(suite, settings.tasks_dir)
    write_artifacts(workdir, request, spec, output, include_path, co2, data)
    contamination_stage(
        settings,
        spec,
        workdir,
        lambda done, total: progress(seen[1] + done, seen[1] + total),
        switch=request.contamination_check,
    )
    return Finished(
        task_scores=output.scores.task_scores,
        benchmark_scores=output.scores.benchmark_scores,
        average=output.scores.average,
        scorer=output.scores.scorer,
        eval_seconds=output.wall_seconds,
        co2_kg=co2,
        eval_limit=spec.limit,
        data_modified=bool(data and data["modified"]),
        cost=cost_of(output.efficiency) if output.efficiency else None,
    )


def cost_of(record: Efficiency) -> EvaluationCost:
    """The board's figures of an efficiency record. Tokens are counted by a hook on transformers'
    forward pass; a backend without one (vLLM) counts none, which is no figure rather than 0."""
    tokens = record.prompt_tokens + record.generated_tokens
    return EvaluationCost(
        backend=record.backend,
        tokens=tokens or None,
        tokens_per_second=record.tokens_per_second if tokens else None,
        device_hours=record.device_hours,
        gpu_hours=record.gpu_hours,
    )


def write_outcome(path: Path, outcome: Finished) -> None:
    payload = {"schema_version": OUTCOME_SCHEMA_VERSION, **asdict(outcome)}
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(payload))
    temporary.replace(path)  # the parent never reads half a file


def read_outcome(path: Path) -> Finished:
    data = json.loads(path.read_text())
    return Finished(
        task_scores=[TaskScore(**t) for t in data["task_scores"]],
        benchmark_scores=[BenchmarkScore(**b) for b in data["benchmark_scores"]],
        average=float(data["average"]),
        scorer=data.get("scorer"),
        eval_seconds=float(data["eval_seconds"]),
        co2_kg=float(data["co2_kg"]),
        eval_limit=data.get("eval_limit"),
        data_modified=bool(data.get("data_modified", False)),
        cost=EvaluationCost(**data["cost"]) if data.get("cost") else None,
    )
