"""Where the v2 suite's data comes from: the Hub repositories that lm-eval's official leaderboard
YAMLs name in `dataset_path`, each pinned to a commit, with the checksums published for its files.

`docs/datasets.md` prints this table for operators; a test holds the two together.
"""

from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # _v2 builds its suite from this table
    from openboard.evaluation._v2 import OfficialTask

HUB_PAGE = "https://huggingface.co/datasets/"


@dataclass(frozen=True, slots=True)
class HubDataset:
    """One benchmark's Hub repository.

    `revision` is a full commit sha, or, where only a short commit id could be read from the Hub's
    pages, that prefix: the first download resolves it on `main`'s history and locks the full sha.
    `files` are glob patterns over the repository's paths, each of which must match (what the tasks
    read); `extras` match if present (the dataset card, the license).
    `sha256` holds checksums published for files at this revision, checked on top of the Hub's own
    LFS sha256 and git blob ids.
    """

    benchmark: str
    repo_id: str
    revision: str
    files: tuple[str, ...]
    license: str
    extras: tuple[str, ...] = ("README.md",)
    sha256: dict[str, str] = field(default_factory=dict)
    gated: bool = False

    @property
    def page(self) -> str:
        return HUB_PAGE + self.repo_id

    @property
    def full_revision(self) -> bool:
        return len(self.revision) == 40

    def wanted(self, path: str) -> bool:
        return any(fnmatch(path, pattern) for pattern in (*self.files, *self.extras))


V2_HUB_DATA: tuple[HubDataset, ...] = (
    HubDataset(
        benchmark="bbh",
        repo_id="SaylorTwift/bbh",
        revision="b5306be6f827cfafbb545ff5a51f96916029b0fd",
        files=("*/test-*.parquet",),
        license="MIT",
    ),
    HubDataset(
        benchmark="gpqa",
        repo_id="Idavidrein/gpqa",
        revision="633f5ee89ab8ad4522a9f850766b73f62147ffdd",
        files=("gpqa_main.csv", "gpqa_diamond.csv", "gpqa_extended.csv"),
        extras=("README.md", "license.txt"),
        license="CC BY 4.0",
        gated=True,
    ),
    HubDataset(
        benchmark="ifeval",
        repo_id="wis-k/instruction-following-eval",
        revision="5a5661c",
        files=("input_data.jsonl",),
        license="Apache-2.0",
    ),
    HubDataset(
        benchmark="math",
        repo_id="DigitalLearningGmbH/MATH-lighteval",
        revision="0530c78699ea5e8eb5530600900e1f328b48acad",
        files=("*/test-*.parquet",),
        license="MIT",
    ),
    HubDataset(
        benchmark="mmlu_pro",
        repo_id="TIGER-Lab/MMLU-Pro",
        revision="b189ec765aa7ed75c8acfea42df31fdae71f97be",
        files=("data/test-*.parquet", "data/validation-*.parquet"),
        license="MIT",
        sha256={
            "data/test-00000-of-00001.parquet": "0e24a191921c2f453518a537a8b2117bd137e7714d4ef1565e9ba06c1ecb9ad8",
        },
    ),
    HubDataset(
        benchmark="musr",
        repo_id="TAUR-Lab/MuSR",
        revision="7c365b439a222150f317764d4f16ae6c96d7d94a",
        files=("murder_mystery.csv", "object_placements.csv", "team_allocation.csv"),
        license="CC BY 4.0",
        sha256={
            "murder_mystery.csv": "ce19b6dc0b953f698e79528c72705804bc97e772a4303734808971f63ce233a7",
            "object_placements.csv": "98cd17d2c9ea53664e274365e901c90dfcaa40d17547dfbd369f1cd26fd2a81c",
            "team_allocation.csv": "ddbef3bb61857a7cc3b73db62fac4605679e1b7ff4357d57fdfcf91f7caaa1f8",
        },
    ),
)

_MUSR_FILES = {
    "murder_mysteries": "murder_mystery.csv",
    "object_placements": "object_placements.csv",
    "team_allocation": "team_allocation.csv",
}


def hub_task_data(task: "OfficialTask") -> tuple[str, dict[str, str]]:
    """lm-eval's `dataset_path` and split → file pattern (relative to the benchmark's folder) for
    `task`, read from a Hub-layout mirror: the same rows the Hub's `datasets` loader serves."""
    if task.benchmark == "bbh":
        return "parquet", {"test": task.task.removeprefix("leaderboard_bbh_") + "/test-*.parquet"}
    if task.benchmark == "gpqa":
        return "csv", {"train": task.task.removeprefix("leaderboard_") + ".csv"}
    if task.benchmark == "ifeval":
        return "json", {"train": "input_data.jsonl"}
    if task.benchmark == "math":
        config = task.data_files["test"].removeprefix("math/").removesuffix(".jsonl")
        return "parquet", {"test": f"{config}/test-*.parquet"}
    if task.benchmark == "mmlu_pro":
        return "parquet", {"test": "data/test-*.parquet", "validation": "data/validation-*.parquet"}
    if task.benchmark == "musr":
        return "csv", dict(_MUSR_FILES)
    raise KeyError(task.benchmark)


# The authors' own distributions, as an offline site may hold them (BBH's GitHub files, GPQA's
# password-protected ZIP, IFEval's JSON Lines, MATH's test set as one JSON Lines file, MMLU-Pro and
# MuSR as JSON Lines); `docs/datasets.md` describes this layout. Checksums of the files as published.
AUTHORS_SHA256: dict[str, str] = {
    "bbh/boolean_expressions.json": "ea6c754ec005e2d3f2d085d349a740f593b5764f32ea4638ffed4cfc0061b12a",
    "bbh/causal_judgement.json": "6e8bca44dd402008ed41c07a3d0a1d5e7b03db7001a7e002fcdf4c60985ea081",
    "bbh/date_understanding.json": "0148d4ac5fca05b2f82373e5fef7208e15363b9c6079493034d77b3dab496bf5",
    "bbh/disambiguation_qa.json": "cf06df9ebf911b883671cb1b35d3fbd1a1c306b19b9e9a012407e596c85fe8c6",
    "bbh/formal_fallacies.json": "4c1adb664821157faade1d4153685403afcc02648f3c180a608a18f17f589629",
    "bbh/geometric_shapes.json": "07be68a124420caa2ebc0b2c858ad79fc55c5c8806170e496e1e17ebfb11f31c",
    "bbh/hyperbaton.json": "b6d7f55c75f5d02f2987a4f3123802dfa093872089a56a334144aae8a7264fdc",
    "bbh/logical_deduction_five_objects.json": "d2df31394b903b7f0e085d42a69572a092987856eac076799017d70ef266fa8f",
    "bbh/logical_deduction_seven_objects.json": "2896c7e3482eea318dd37bcc370d24ec3cc91e8374c1784287b5dbd38a529e33",
    "bbh/logical_deduction_three_objects.json": "e590fae72e3a6041fbd23bd8ff6b74baf44ca563f6ba40a041c55e7b867c1681",
    "bbh/movie_recommendation.json": "a8b53a87ee21a865b7248e694f388a9b8f7cf6b839b11d44796a2dd3fc088983",
    "bbh/navigate.json": "b7944dfd3c81da5c4815bd75b00d6fa3c64140823498e78ed496f4c3d36f7f0d",
    "bbh/object_counting.json": "8acef14dbbdd40d2326ef7755750b6b5fe919fef06276af1bab3f1c297f022ff",
    "bbh/penguins_in_a_table.json": "bb87ee449698eee51215e025a453b1bcb2f5e6589c2063b2c79e68b8f0655228",
    "bbh/reasoning_about_colored_objects.json": "0a8850cf95166020fce7a78244026ceedd7ea839302471512b4f8744e85a6a49",
    "bbh/ruin_names.json": "b6f723aef2bafdd4c7bfc3c7e0329c7e8a8279391a609969c8ed76c9319f5f7f",
    "bbh/salient_translation_error_detection.json": "becf3eb8dd53c821a555ecd5c1334ecd93eb25f980e63be963c518e7138de5da",
    "bbh/snarks.json": "54a0661fe2de06167645a4965e6bcf963c4ba307e76262a7c750998b0e3d0d0e",
    "bbh/sports_understanding.json": "63ca262858f6176864515cd8cf53cdaa40839ebecc155b726d77930855d167bf",
    "bbh/temporal_sequences.json": "92a1189faaa84aacc4c405aaa13f13f48c2992eb884772eedb622505252baef5",
    "bbh/tracking_shuffled_objects_five_objects.json": "2063a46a4fb484236ed4310523606543a3e1dd4a4dc34eda65d407910ece25a5",
    "bbh/tracking_shuffled_objects_seven_objects.json": "b59fd05b850c37cf57cb514ae1e6975c00b1638ade2291722056b2af3c54084d",
    "bbh/tracking_shuffled_objects_three_objects.json": "546cc7bf10c6a01a6a4c17ae28a4966485f21f29fd5d111f37858ec78e354f6b",
    "bbh/web_of_lies.json": "3e60323f8514a107fdb4edf35f8832a9171c5a09c0eaa47823559de905e8ab8b",
    "bbh/LICENSE": "4ef2ff4295d26ab6211235039c132697408cec5391d2c091b41e983771978db8",
    "gpqa/dataset.zip": "461ae7329f15a3e35f8184d2dac24b990f34fdf12f366ca4062d8e6638cd08dc",
    "gpqa/LICENSE": "09c64e279464e54aa88696bcb73dc77722f905a028313c48a17e16572db00d8a",
    "gpqa/LICENSE.dataset.txt": "c4591c2eba3382b05a60e8437b7f67cc428539acbd7081d3ffe3fa55a98132db",
    "ifeval/input_data.jsonl": "67ffeee0fcb87c317c5b08a2de85557b4a7e96ada6178aa645b4954fe4b53d49",
    "ifeval/LICENSE": "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
    "math/test.jsonl": "6d22894bca1ce92a8c77c09762ee1854576a26f702118d827c884c0994ba50fc",
    "math/LICENSE": "8f6401fb0b1fbfcac17aac8d61e4e1b0d2de9aa190d8aa655fedc5fd783b2ace",
    "mmlu_pro/test.jsonl": "32c67294bd848fbc30e57ae1c500e99919252ecd385600e57e250fb37868dde9",
    "mmlu_pro/validation.jsonl": "50ef14ad63d937da78d5e4d544a0d7363c17cac791daeea152eb7a92be923c55",
    "mmlu_pro/test_earlier_revisions.jsonl": "1726e0fabddb0b4330d9fe8bb058f55867bac30d5b55d64453ebc7b7e8fb59cd",
    "mmlu_pro/LICENSE": "c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4",
    "musr/musr_murder_mysteries.jsonl": "8293103d6adb27041934a12c87c47bc21fd9f0fe578d774366635a853dde94dd",
    "musr/musr_object_placements.jsonl": "b007bd4b393153382271fab2c28d2d327e3fdc0523ddc752c36557c12eb6a7d8",
    "musr/musr_team_allocation.jsonl": "2b420d0ac353574e4fa53f950994bcb2a9a29be9caec69f9f7deee9724eae1e0",
    "musr/LICENSE": "2c8e2a28ca013557c73dff03ab3055b76f226dbeb8daa20dc36caeefe76f7946",
    "musr/HF_DATASET_CARD.md": "793154678fbec10387b116b4e4431cc05b1e44b49a79f030d7513a430c4d304e",
}  # fmt: skip
