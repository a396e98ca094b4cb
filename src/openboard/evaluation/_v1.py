"""The Open LLM Leaderboard v1 suite (2023-2024): lm-eval's default tasks with the v1 shot counts.

Plain mean, no baseline normalization. Its data comes from the Hugging Face Hub, so it runs on
workers that can reach the Hub (or have its datasets cached); offline it fails as `dataset missing`.
"""

from dataclasses import dataclass

from openboard.evaluation._suites import BenchmarkSpec, Suite

MMLU_SUBJECTS = [
    "abstract_algebra",
    "anatomy",
    "astronomy",
    "business_ethics",
    "clinical_knowledge",
    "college_biology",
    "college_chemistry",
    "college_computer_science",
    "college_mathematics",
    "college_medicine",
    "college_physics",
    "computer_security",
    "conceptual_physics",
    "econometrics",
    "electrical_engineering",
    "elementary_mathematics",
    "formal_logic",
    "global_facts",
    "high_school_biology",
    "high_school_chemistry",
    "high_school_computer_science",
    "high_school_european_history",
    "high_school_geography",
    "high_school_government_and_politics",
    "high_school_macroeconomics",
    "high_school_mathematics",
    "high_school_microeconomics",
    "high_school_physics",
    "high_school_psychology",
    "high_school_statistics",
    "high_school_us_history",
    "high_school_world_history",
    "human_aging",
    "human_sexuality",
    "international_law",
    "jurisprudence",
    "logical_fallacies",
    "machine_learning",
    "management",
    "marketing",
    "medical_genetics",
    "miscellaneous",
    "moral_disputes",
    "moral_scenarios",
    "nutrition",
    "philosophy",
    "prehistory",
    "professional_accounting",
    "professional_law",
    "professional_medicine",
    "professional_psychology",
    "public_relations",
    "security_studies",
    "sociology",
    "us_foreign_policy",
    "virology",
    "world_religions",
]


@dataclass(frozen=True, slots=True)
class ShotOverride:
    task: str
    official_yaml: str  # relative to lm_eval/tasks/
    shots: int


def v1_overrides() -> list[ShotOverride]:
    return [
        ShotOverride("arc_challenge", "arc/arc_challenge.yaml", 25),
        ShotOverride("hellaswag", "hellaswag/hellaswag.yaml", 10),
        *(ShotOverride(f"mmlu_{s}", f"mmlu/default/mmlu_{s}.yaml", 5) for s in MMLU_SUBJECTS),
        ShotOverride("truthfulqa_mc2", "truthfulqa/truthfulqa_mc2.yaml", 0),
        ShotOverride("winogrande", "winogrande/default.yaml", 5),
        ShotOverride("gsm8k", "gsm8k/gsm8k.yaml", 5),
    ]


V1 = Suite(
    name="v1",
    version="1",
    task_source="v1",
    benchmarks=(
        BenchmarkSpec("arc", "ARC", ("acc_norm",), {"arc_challenge": None}),
        BenchmarkSpec("hellaswag", "HellaSwag", ("acc_norm",), {"hellaswag": None}),
        BenchmarkSpec("mmlu", "MMLU", ("acc",), {f"mmlu_{s}": None for s in MMLU_SUBJECTS}),
        BenchmarkSpec("truthfulqa", "TruthfulQA", ("acc",), {"truthfulqa_mc2": None}),
        BenchmarkSpec("winogrande", "Winogrande", ("acc",), {"winogrande": None}),
        BenchmarkSpec("gsm8k", "GSM8K", ("exact_match,strict-match",), {"gsm8k": None}),
    ),
)
