"""The offline benchmark mirror: import the v2 data from a folder, write lm-eval task overrides.

A folder holds each benchmark in one of two documented layouts (docs/datasets.md): the Hub layout
(the files of the Hub repository, as `openboard datasets download` or `hf download` leave them) or
the authors' layout (the authors' own distributions). Every file is checked against its published
checksum; a file that differs is imported with a warning, and results on it are marked "modified".

The overrides `include:` lm-eval's official YAMLs and replace only the data source, so the official
prompts, few-shot examples, filters and metrics run unchanged.
"""

import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

import yaml

from openboard.evaluation._errors import DatasetMissingError
from openboard.evaluation._hub_download import PRIVATE, benchmark_folder
from openboard.evaluation._mirror_lock import (
    LOCK_FILE,
    BenchmarkRecord,
    FileRecord,
    digests,
    file_record,
    read_lock,
    write_record,
)
from openboard.evaluation._v2 import MATH_SUBSETS, TASK_SET, OfficialTask, official_tasks
from openboard.evaluation._v2_sources import AUTHORS_SHA256, V2_HUB_DATA, HubDataset, hub_task_data

# Published openly by the GPQA authors next to the archive; the ZIP only keeps the questions out
# of web crawls. The extracted CSVs stay in a private folder that is never served or logged.
GPQA_ZIP_PASSWORD = b"deserted-untie-orchid"
_GPQA_MEMBERS = {
    f"dataset/gpqa_{name}.csv": f"gpqa_{name}.csv" for name in ("main", "diamond", "extended")
}
_HEX = re.compile(r"^[0-9a-f]+$")
_HF_DOWNLOADS = Path(".cache") / "huggingface" / "download"  # huggingface_hub's local-dir records

# The authors' layout: the files each benchmark needs (BBH's task files are added below).
_AUTHORS_FILES: dict[str, list[str]] = {
    "bbh": ["bbh/LICENSE"],
    "gpqa": ["gpqa/dataset.zip", "gpqa/LICENSE", "gpqa/LICENSE.dataset.txt"],
    "ifeval": ["ifeval/input_data.jsonl", "ifeval/LICENSE"],
    "math": ["math/test.jsonl", "math/LICENSE"],
    "mmlu_pro": ["mmlu_pro/test.jsonl", "mmlu_pro/validation.jsonl", "mmlu_pro/LICENSE"],
    "musr": [
        "musr/musr_murder_mysteries.jsonl", "musr/musr_object_placements.jsonl",
        "musr/musr_team_allocation.jsonl", "musr/LICENSE", "musr/HF_DATASET_CARD.md",
    ],
}  # fmt: skip
_MMLU_PRO_HISTORY = "mmlu_pro/test_earlier_revisions.jsonl"


@dataclass(frozen=True, slots=True)
class BenchmarkData:
    benchmark: str
    available: bool
    records: int
    detail: str
    modified: bool = False


@dataclass(frozen=True, slots=True)
class ImportResult:
    status: list[BenchmarkData]
    warnings: list[str]  # files that differ from their published checksums, and other caveats
    missing: list[str]  # one line per benchmark the folder does not hold


def overrides_dir(tasks_dir: Path) -> Path:
    return tasks_dir / TASK_SET


def official_dir() -> Path:
    import lm_eval

    return Path(lm_eval.__file__).parent / "tasks" / "leaderboard"


MMLU_PRO_REVISIONS = (
    "2024-07-14",
    "2024-07-30",
)  # earlier states restorable in the authors' layout; its test.jsonl is the 2024-10-16 state


def import_datasets(
    source: Path,
    mirror: Path,
    tasks_dir: Path,
    cache_dir: Path,
    mmlu_pro_revision: str | None = None,
    sources: tuple[HubDataset, ...] = V2_HUB_DATA,
) -> ImportResult:
    """Copy each v2 benchmark that `source` holds, in either documented layout, into `mirror`, lock
    it, then write the overrides. Refuses a folder that holds none of them.

    `mmlu_pro_revision` restores MMLU-Pro's test set as it was on an earlier date (the Hub copy was
    edited over time), from the authors' layout's `mmlu_pro/test_earlier_revisions.jsonl`.
    `sources` are the pins a Hub-layout folder is checked against (the v2 suite's).
    """
    if mmlu_pro_revision is not None and mmlu_pro_revision not in MMLU_PRO_REVISIONS:
        raise DatasetMissingError(
            f"MMLU-Pro has no restorable revision {mmlu_pro_revision!r}",
            f"choose one of {', '.join(MMLU_PRO_REVISIONS)}, or leave it out for the latest (2024-10-16)",
        )
    warnings: list[str] = []
    missing: list[str] = []
    for hub in sources:
        folder = _hub_layout(source, hub)
        absent = [f for f in _authors_files(hub.benchmark) if not (source / f).is_file()]
        # IFEval's file has one name in both layouts: without a sign of the Hub, it is the authors'.
        if folder is not None and (absent or _from_hub(source, folder, hub)):
            record, notes = _import_hub_layout(source, folder, mirror, hub)
        elif not absent:
            record = _import_authors(source, mirror, hub.benchmark, mmlu_pro_revision)
            notes = []
        else:
            missing.append(f"{hub.benchmark}: neither the Hub layout nor {absent[0]}")
            continue
        write_record(mirror, record)
        warnings += notes + [_differs(hub.benchmark, f) for f in record.files if f.modified]
    if len(missing) == len(sources):
        raise DatasetMissingError(
            f"{source} holds none of the six v2 benchmarks ({missing[0]}, …)",
            "lay the folder out as docs/datasets.md describes, or run `openboard datasets download`",
        )
    write_overrides(mirror, tasks_dir, cache_dir)
    return ImportResult(dataset_status(mirror), warnings, missing)


def _differs(benchmark: str, record: FileRecord) -> str:
    return (
        f"{benchmark}: {record.path} differs from its published checksum (sha256 "
        f"{record.sha256[:16]}…, expected {record.expected_sha256}); imported, and every result "
        "computed on it is marked 'modified data'"
    )


def _authors_files(benchmark: str) -> list[str]:
    if benchmark == "bbh":
        return [*_AUTHORS_FILES["bbh"], *_tasks_files("bbh")]
    return _AUTHORS_FILES[benchmark]


def _tasks_files(benchmark: str) -> list[str]:
    return sorted(
        {f for t in official_tasks() if t.benchmark == benchmark for f in t.data_files.values()}
    )


# -- the Hub layout ---------------------------------------------------------------------------


def _repo_files(folder: Path) -> list[str]:
    """The repository paths under `folder`, without huggingface_hub's own `.cache`."""
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.relative_to(folder).parts[0] not in {".cache", PRIVATE}
    )


def _hub_layout(source: Path, hub: HubDataset) -> Path | None:
    for folder in (source / hub.benchmark / PRIVATE, source / hub.benchmark):
        if folder.is_dir():
            paths = _repo_files(folder)
            if all(any(fnmatch(p, pattern) for p in paths) for pattern in hub.files):
                return folder
    return None


def _from_hub(source: Path, folder: Path, hub: HubDataset) -> bool:
    """Whether the folder says it came from the Hub: a copied lock, or huggingface_hub's records."""
    locked = (source / LOCK_FILE).is_file() and hub.benchmark in read_lock(source)
    return locked or (folder / _HF_DOWNLOADS).is_dir()


@dataclass(frozen=True, slots=True)
class _Downloaded:
    commit: str
    etag: str


def _download_record(folder: Path, path: str) -> _Downloaded | None:
    """What `hf_hub_download(local_dir=...)` recorded for `path`: commit and etag (the sha256 of an
    LFS file, the git blob id of another), in its metadata file's first two lines. Read by hand:
    huggingface_hub's reader takes a lock, which writes into a folder that may be read-only."""
    metadata = folder / _HF_DOWNLOADS / f"{path}.metadata"
    if not metadata.is_file():
        return None
    lines = metadata.read_text(encoding="utf-8").splitlines()
    if len(lines) < 2 or not _HEX.match(lines[0]) or not _HEX.match(lines[1]):
        return None
    if metadata.stat().st_mtime + 1 < (folder / path).stat().st_mtime:
        return None  # the file changed after it was downloaded: its record says nothing about it
    return _Downloaded(commit=lines[0], etag=lines[1])


def _import_hub_layout(
    source: Path, folder: Path, mirror: Path, hub: HubDataset
) -> tuple[BenchmarkRecord, list[str]]:
    """Copy the repository's files; expect what the copied lock, or huggingface_hub's own download
    records, or the published checksums say."""
    locked = read_lock(source).get(hub.benchmark) if (source / LOCK_FILE).is_file() else None
    target = benchmark_folder(mirror, hub)
    if hub.gated:
        _private_folder(target)
    target.mkdir(parents=True, exist_ok=True)
    records: list[FileRecord] = []
    commits: set[str] = set()
    for path in (p for p in _repo_files(folder) if hub.wanted(p)):
        metadata = _download_record(folder, path)
        if metadata is not None:
            commits.add(metadata.commit)
        expected = _expected(folder / path, locked, mirror, target / path, hub, metadata)
        _copy(folder / path, target / path, private=hub.gated)
        records.append(file_record(mirror, target / path, expected))
    revision = (
        locked.revision if locked is not None else (commits.pop() if len(commits) == 1 else None)
    )
    notes = []
    if revision is None:
        notes.append(f"{hub.benchmark}: the folder does not say which commit its files are from")
    elif not revision.startswith(hub.revision):
        notes.append(
            f"{hub.benchmark}: the files are from commit {revision}, the suite pins {hub.revision}"
        )
    return BenchmarkRecord(hub.benchmark, "hub", hub.repo_id, revision, tuple(records)), notes


def _expected(
    file: Path,
    locked: BenchmarkRecord | None,
    mirror: Path,
    target: Path,
    hub: HubDataset,
    metadata: _Downloaded | None,
) -> str | None:
    relative = target.relative_to(mirror).as_posix()
    if locked is not None:
        return next((f.sha256 for f in locked.files if f.path == relative), None)
    repo_path = target.relative_to(benchmark_folder(mirror, hub)).as_posix()
    if repo_path in hub.sha256:
        return hub.sha256[repo_path]
    if metadata is None:
        return None
    if len(metadata.etag) == 64:
        return metadata.etag
    sha256, blob = digests(file)
    return sha256 if blob == metadata.etag else f"git blob {metadata.etag}"


# -- the authors' layout ----------------------------------------------------------------------


def _import_authors(
    source: Path, mirror: Path, benchmark: str, mmlu_pro_revision: str | None
) -> BenchmarkRecord:
    copied = list(_authors_files(benchmark))
    if benchmark == "mmlu_pro" and (source / _MMLU_PRO_HISTORY).is_file():
        copied.append(_MMLU_PRO_HISTORY)
    for relative in copied:
        _copy(source / relative, mirror / relative, private=False)
    records = [file_record(mirror, mirror / f, AUTHORS_SHA256.get(f)) for f in copied]
    revision = None
    if benchmark == "math":
        derived = _split_math(mirror / "math" / "test.jsonl", mirror / "math")
        records += [file_record(mirror, p, None) for p in derived]
    if benchmark == "gpqa":
        derived = _extract_gpqa(mirror / "gpqa" / "dataset.zip", mirror / "gpqa" / PRIVATE)
        records += [file_record(mirror, p, None) for p in derived]
    if benchmark == "mmlu_pro" and mmlu_pro_revision is not None:
        test = mirror / "mmlu_pro" / "test.jsonl"
        _restore_mmlu_pro(source / _MMLU_PRO_HISTORY, test, mmlu_pro_revision)
        revision = mmlu_pro_revision
        # the restored file is the earlier official state, which publishes no checksum of its own
        records = [
            file_record(mirror, test, None) if r.path == "mmlu_pro/test.jsonl" else r
            for r in records
        ]
    return BenchmarkRecord(benchmark, "folder", str(source), revision, tuple(records))


def _copy(source: Path, target: Path, private: bool) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if private:
        target.unlink(missing_ok=True)
        target.touch(mode=0o600)
        target.chmod(0o600)
        with source.open("rb") as reader, target.open("r+b") as writer:
            shutil.copyfileobj(reader, writer)
        return
    shutil.copyfile(source, target)  # byte for byte: canary strings stay intact


def _split_math(test_file: Path, folder: Path) -> list[Path]:
    """One file per HF config (subset), all levels kept: the official process_docs keeps Level 5."""
    rows: dict[str, list[str]] = {config: [] for _, config in MATH_SUBSETS.values()}
    for line in test_file.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            record = json.loads(line)
            rows[record["subset"]].append(line + "\n")
    for config, lines in rows.items():
        (folder / f"{config}.jsonl").write_text("".join(lines), encoding="utf-8")
    return [folder / f"{config}.jsonl" for config in rows]


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


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    folder.chmod(0o700)  # also when the folder existed before


def _extract_gpqa(archive: Path, private: Path) -> list[Path]:
    _private_folder(private)
    written = []
    with zipfile.ZipFile(archive) as zipped:
        for member, name in _GPQA_MEMBERS.items():
            target = private / name
            target.touch(mode=0o600)  # private before a single question is written
            target.chmod(0o600)
            target.write_bytes(zipped.read(member, pwd=GPQA_ZIP_PASSWORD))
            written.append(target)
    return written


# -- overrides and status ---------------------------------------------------------------------


def _task_source(
    task: OfficialTask, mirror: Path, record: BenchmarkRecord | None
) -> tuple[str, dict[str, Path]] | None:
    """lm-eval's dataset_path and split → file for `task` in this mirror (None: data absent)."""
    if record is not None and record.origin == "hub":
        hub = next(h for h in V2_HUB_DATA if h.benchmark == task.benchmark)
        folder = benchmark_folder(mirror, hub)
        dataset_path, patterns = hub_task_data(task)
        files: dict[str, Path] = {}
        for split, pattern in patterns.items():
            found = sorted(folder.glob(pattern))
            if not found:
                return None
            files[split] = found[0]
        return dataset_path, files
    files = {split: mirror / f for split, f in task.data_files.items()}
    return (task.dataset_path, files) if all(p.is_file() for p in files.values()) else None


def write_overrides(mirror: Path, tasks_dir: Path, cache_dir: Path) -> Path:
    """One YAML per official task whose data is in the mirror: include the official file, swap only
    the data source. A task whose data is absent has no YAML, so the suite reports it missing."""
    folder = overrides_dir(tasks_dir)
    folder.mkdir(parents=True, exist_ok=True)
    official = official_dir()
    lock = read_lock(mirror)
    for task in official_tasks():
        found = _task_source(task, mirror, lock.get(task.benchmark))
        target = folder / f"{task.task}.yaml"
        if found is None:
            target.unlink(missing_ok=True)
            continue
        dataset_path, files = found
        field = task.field if dataset_path == task.dataset_path else None
        target.write_text(
            yaml.safe_dump(
                _override(task, official, dataset_path, files, field, cache_dir), sort_keys=False
            )
        )
    return folder


def _override(
    task: OfficialTask,
    official: Path,
    dataset_path: str,
    files: dict[str, Path],
    field: str | None,
    cache_dir: Path,
) -> dict[str, object]:
    kwargs: dict[str, object] = {
        "data_files": {split: str(path) for split, path in files.items()},
        # A datasets cache per suite: GPQA's official process_docs shuffles answers with the global
        # random state, and the cache keeps the first shuffle; one task set, one cache, one shuffle.
        "cache_dir": str(cache_dir / TASK_SET),
    }
    if field:
        kwargs["field"] = field
    return {
        "include": str(official / task.official_yaml),
        "dataset_path": dataset_path,
        "dataset_name": None,
        "dataset_kwargs": kwargs,
    }


def dataset_status(mirror: Path) -> list[BenchmarkData]:
    lock = read_lock(mirror)
    by_benchmark: dict[str, list[OfficialTask]] = {}
    for task in official_tasks():
        by_benchmark.setdefault(task.benchmark, []).append(task)
    status = []
    for benchmark, tasks in by_benchmark.items():
        record = lock.get(benchmark)
        found = [_task_source(t, mirror, record) for t in tasks]
        if any(f is None for f in found):
            absent = next(t for t, f in zip(tasks, found, strict=True) if f is None)
            status.append(BenchmarkData(benchmark, False, 0, f"missing data for {absent.task}"))
            continue
        files = sorted({p for f in found if f is not None for p in f[1].values()})
        try:
            records = sum(_count(f) for f in files)
        except (OSError, ValueError, KeyError) as exc:  # pyarrow's ArrowInvalid is a ValueError
            status.append(BenchmarkData(benchmark, False, 0, f"unreadable data: {exc}"[:200]))
            continue
        detail = f"{len(files)} files" + (_origin(record) if record is not None else "")
        modified = record is not None and record.modified
        status.append(BenchmarkData(benchmark, True, records, detail, modified))
    return status


def _origin(record: BenchmarkRecord) -> str:
    if record.origin == "hub":
        return f", {record.source}@{(record.revision or 'unknown commit')[:12]}"
    return ", from a folder" + (f" (revision {record.revision})" if record.revision else "")


def _count(path: Path) -> int:
    if path.suffix == ".jsonl":
        return sum(1 for line in path.open(encoding="utf-8") if line.strip())
    if path.suffix == ".parquet":
        import pyarrow.parquet as parquet

        return int(parquet.read_metadata(path).num_rows)
    if path.suffix == ".csv":
        import csv

        with path.open(encoding="utf-8", newline="") as stream:
            return sum(1 for _ in csv.DictReader(stream))
    data = json.loads(path.read_text(encoding="utf-8"))
    return len(data.get("examples", [])) if isinstance(data, dict) else len(data)
