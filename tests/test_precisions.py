"""Which precisions a worker can evaluate, and the clear refusal where it cannot."""

import importlib.util
from dataclasses import replace
from pathlib import Path

import pytest

from openboard.domain import Precision, WeightType
from openboard.evaluation import STARTER, EvaluationSpec, UnsupportedPrecisionError

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

SPEC = EvaluationSpec(
    model_path=Path("/models/org/m"), precision=Precision.BFLOAT16, suite=STARTER,
    tasks_dir=Path("/tmp/tasks"),
)  # fmt: skip


@pytest.mark.parametrize("precision", [Precision.INT8, Precision.INT4, Precision.GPTQ])
def test_quantized_precisions_need_a_gpu_worker(precision: Precision) -> None:
    with pytest.raises(UnsupportedPrecisionError) as info:
        replace(SPEC, precision=precision).model_args()
    assert f"{precision} needs a GPU worker" in info.value.message and "cpu" in info.value.message


@pytest.mark.skipif(
    importlib.util.find_spec("bitsandbytes") is not None, reason="bitsandbytes is installed"
)
def test_a_gpu_worker_without_bitsandbytes_names_the_package() -> None:
    with pytest.raises(UnsupportedPrecisionError) as info:
        replace(SPEC, precision=Precision.INT4, device="cuda").model_args()
    assert "bitsandbytes" in info.value.message and "pip install bitsandbytes" in info.value.hint


def test_quantized_adapters_are_refused_before_loading() -> None:
    spec = replace(SPEC, precision=Precision.INT8, device="cuda", weight_type=WeightType.ADAPTER)
    with pytest.raises(UnsupportedPrecisionError, match="Original weights only"):
        spec.model_args()


def test_bitsandbytes_settings_and_dtypes() -> None:
    assert replace(SPEC, precision=Precision.INT8).quantization() == {"load_in_8bit": True}
    assert replace(SPEC, precision=Precision.INT4).quantization() == {
        "load_in_4bit": True, "bnb_4bit_compute_dtype": "float16",
    }  # fmt: skip
    assert SPEC.quantization() is None
    assert SPEC.model_args()["dtype"] == "bfloat16"
    assert replace(SPEC, precision=Precision.FLOAT16).model_args()["dtype"] == "float16"
