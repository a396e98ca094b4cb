"""The offline benchmark mirror: import local copies of the v2 data, write lm-eval task overrides.

The overrides `include:` lm-eval's official YAMLs and replace only the data source, so the official
prompts, few-shot examples, filters and metrics run unchanged.
"""

import json
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

import yaml

from openboard.evaluation._errors import DatasetMissingError
from openboard.evaluation._v2 import MATH_SUBSETS, TASK_SET, OfficialTask, official_tasks

# Published openly by the GPQA authors next to the archive; the ZIP only keeps the questions out
# of web crawls. The extracted CSVs stay in a private folder that is never served or logged.
GPQA_ZIP_PASSWORD = b"deserted-untie-orchid"
_GPQA_MEMBERS = {
    f"dataset/gpqa_{name}.csv": f"gpqa_{name}.csv" for name in ("main", "diamond", "extended")
}

_PLAIN_FILES = [
    "bbh/LICENSE",
    "ifeval/input_data.jsonl", "ifeval/LICENSE",
    "mmlu_pro/test.jsonl", "mmlu_pro/validation.jsonl", "mmlu_pro/LICENSE",
    "musr/musr_murder_mysteries.jsonl", "musr/musr_object_placements.jsonl",
    "musr/musr_team_allocation.jsonl", "musr/LICENSE", "musr/HF_DATASET_CARD.md",
    "math/LICENSE", "gpqa/LICENSE", "gpqa/LICENSE.dataset.txt", "gpqa/dataset.zip",
]  # fmt: skip


@dataclass(frozen=True, slots=True)
class BenchmarkData:
    benchmark: str
    available: bool
    records: int
    detail: str


def overrides_dir(tasks_dir: Path) -> Path:
    return tasks_dir / TASK_SET


def official_dir() -> Path:
    import lm_eval

    return Path(lm_eval.__file__).parent / "tasks" / "leaderboard"


MMLU_PRO_REVISIONS = (
    "2024-07-14",
    "2024-07-30",
)  # earlier states restorable; the staged one is 2024-10-16


def import_datasets(
    source: Path,
    mirror: Path,
    tasks_dir: Path,
    cache_dir: Path,
    mmlu_pro_revision: str | None = None,
) -> list[BenchmarkData]:
    """Copy the six benchmarks from `source` (the layout of shared/data) into `mirror`, then write overrides.

    `mmlu_pro_revision` restores MMLU-Pro's test set as it was on an earlier date (the Hub copy was
    edited over time), from `mmlu_pro/test_earlier_revisions.jsonl`, to reproduce older scores.
    """
    if mmlu_pro_revision is not None and mmlu_pro_revision not in MMLU_PRO_REVISIONS:
        raise DatasetMissingError(
            f"MMLU-Pro has no restorable revision {mmlu_pro_revision!r}",
            f"choose one of {', '.join(MMLU_PRO_REVISIONS)}, or leave it out for the latest (2024-10-16)",
        )
    bbh_files = [t.data_files["test"] for t in official_tasks() if t.benchmark == "bbh"]
    wanted = [*_PLAIN_FILES, *bbh_files, "math/test.jsonl"]
    missing = [f for f in wanted if not (source / f).is_file()]
    if missing:
        raise DatasetMissingError(
            f"{source} lacks {len(missing)} benchmark files, e.g. {', '.join(missing[:3])}",
            "point at a folder with the layout of shared/data (see its README.md)",
        )
    for relative in [*_PLAIN_FILES, *bbh_files]:
        _copy(source / relative, mirror / relative)
    _split_math(source / "math" / "test.jsonl", mirror / "math")
    if mmlu_pro_revision is not None:
        _restore_mmlu_pro(
            source / "mmlu_pro" / "test_earlier_revisions.jsonl",
            mirror / "mmlu_pro" / "test.jsonl",
            mmlu_pro_revision,
        )
    _extract_gpqa(mirror / "gpqa" / "dataset.zip", mirror / "gpqa" / ".private")
    write_overrides(mirror, tasks_dir, cache_dir)
    return dataset_status(mirror)


def _copy(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, target)  # byte for byte: canary strings stay intact


def _split_math(test_file: Path, folder: Path) -> None:
    """One file per HF config (subset), all levels kept: the official process_docs keeps Level 5."""
    rows: dict[str, list[str]] = {config: [] for _, config in MATH_SUBSETS.values()}
    for line in test_file.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            record = json.loads(line)
            rows[record["subset"]].append(line + "\n")
    for config, lines in rows.items():
        (folder / f"{config}.jsonl").write_text("".join(lines), encoding="utf-8")


def _restore_mmlu_pro(revisions_file: Path, test_file: Path, revision: str) -> None:
    """Put back the fields that differed on `revision`; every other question is already as it was."""
    if not revisions_file.is_file():
        raise DatasetMissingError(
            f"{revisions_file} is missing", "MMLU-Pro's revision history ships next to test.jsonl"
        )
    old: dict[int, dict[str, object]] = {}
    for line in revisions_file.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            record = json.loads(line)
            if revision in record:
                old[record["question_id"]] = record[revision]
    rows = []
    for line in test_file.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            row = json.loads(line)
            row.update(old.get(row["question_id"], {}))
            rows.append(json.dumps(row, ensure_ascii=False) + "\n")
    test_file.write_text("".join(rows), encoding="utf-8")


def _extract_gpqa(archive: Path, private: Path) -> None:
    private.mkdir(mode=0o700, parents=True, exist_ok=True)
    private.chmod(0o700)  # also when the folder existed before
    with zipfile.ZipFile(archive) as zipped:
        for member, name in _GPQA_MEMBERS.items():
            target = private / name
            target.touch(mode=0o600)  # private before a single question is written
            target.chmod(0o600)
            target.write_bytes(zipped.read(member, pwd=GPQA_ZIP_PASSWORD))


def write_overrides(mirror: Path, tasks_dir: Path, cache_dir: Path) -> Path:
    """One YAML per official task: include the official file, swap only the data source."""
    folder = overrides_dir(tasks_dir)
    folder.mkdir(parents=True, exist_ok=True)
    official = official_dir()
    for task in official_tasks():
        (folder / f"{task.task}.yaml").write_text(
            yaml.safe_dump(_override(task, official, mirror, cache_dir), sort_keys=False)
        )
    return folder


def _override(
    task: OfficialTask, official: Path, mirror: Path, cache_dir: Path
) -> dict[str, object]:
    kwargs: dict[str, object] = {
        "data_files": {split: str(mirror / file) for split, file in task.data_files.items()},
        # A datasets cache per suite: GPQA's official process_docs shuffles answers with the global
        # random state, and the cache keeps the first shuffle; one task set, one cache, one shuffle.
        "cache_dir": str(cache_dir / TASK_SET),
    }
    if task.field:
        kwargs["field"] = task.field
    return {
        "include": str(official / task.official_yaml),
        "dataset_path": task.dataset_path,
        "dataset_name": None,
        "dataset_kwargs": kwargs,
    }


def dataset_status(mirror: Path) -> list[BenchmarkData]:
    by_benchmark: dict[str, list[OfficialTask]] = {}
    for task in official_tasks():
        by_benchmark.setdefault(task.benchmark, []).append(task)
    status = []
    for benchmark, tasks in by_benchmark.items():
        files = sorted({mirror / f for t in tasks for f in t.data_files.values()})
        absent = [f for f in files if not f.is_file()]
        records = 0 if absent else sum(_count(f) for f in files)
        detail = f"missing {absent[0].relative_to(mirror)}" if absent else f"{len(files)} files"
        status.append(BenchmarkData(benchmark, not absent, records, detail))
    return status


def _count(path: Path) -> int:
    if path.suffix == ".jsonl":
        return sum(1 for line in path.open(encoding="utf-8") if line.strip())
    if path.suffix == ".csv":
        import csv

        with path.open(encoding="utf-8", newline="") as stream:
            return sum(1 for _ in csv.DictReader(stream))
    data = json.loads(path.read_text(encoding="utf-8"))
    return len(data.get("examples", [])) if isinstance(data, dict) else len(data)
