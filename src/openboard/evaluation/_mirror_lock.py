"""The mirror's lock file: for each benchmark, where its files came from (a Hub repository at a
commit, or a local folder) and the sha256 of every file, written when the files arrive and checked
again before each evaluation, so that every result can say exactly which data it saw."""

import hashlib
import json
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, Literal

from openboard.evaluation._errors import DatasetMissingError

LOCK_FILE = "openboard-datasets.lock.json"
LOCK_SCHEMA_VERSION = 1
Origin = Literal["hub", "folder"]


@dataclass(frozen=True, slots=True)
class FileRecord:
    path: str  # relative to the mirror
    sha256: str
    size: int
    expected_sha256: (
        str | None
    )  # what the source publishes; None: nothing published to check against

    @property
    def modified(self) -> bool:
        return self.expected_sha256 is not None and self.expected_sha256 != self.sha256


@dataclass(frozen=True, slots=True)
class BenchmarkRecord:
    benchmark: str
    origin: Origin
    source: str  # the Hub repository, or the folder the files were imported from
    revision: str | None  # the commit, for the Hub
    files: tuple[FileRecord, ...]

    @property
    def modified(self) -> bool:
        return any(f.modified for f in self.files)


def lock_path(mirror: Path) -> Path:
    return mirror / LOCK_FILE


def read_lock(mirror: Path) -> dict[str, BenchmarkRecord]:
    path = lock_path(mirror)
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["schema_version"] != LOCK_SCHEMA_VERSION:
            raise ValueError(f"schema_version {data['schema_version']}")
        return {name: _benchmark(name, record) for name, record in data["benchmarks"].items()}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise DatasetMissingError(
            f"the dataset lock file {path} is unreadable: {exc!r}",
            "fetch the data again: `openboard datasets download` (or `--from DIR`)",
        ) from exc


def _benchmark(name: str, record: dict[str, Any]) -> BenchmarkRecord:
    return BenchmarkRecord(
        benchmark=name,
        origin=record["origin"],
        source=record["source"],
        revision=record["revision"],
        files=tuple(FileRecord(**f) for f in record["files"]),
    )


def write_record(mirror: Path, record: BenchmarkRecord) -> None:
    """Replace one benchmark's entry; written atomically, so an interrupted run keeps the others."""
    records = read_lock(mirror) | {record.benchmark: record}
    data = {
        "schema_version": LOCK_SCHEMA_VERSION,
        "benchmarks": {
            name: {k: v for k, v in asdict(r).items() if k != "benchmark"}
            for name, r in sorted(records.items())
        },
    }
    mirror.mkdir(parents=True, exist_ok=True)
    temporary = lock_path(mirror).with_suffix(".tmp")
    temporary.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    temporary.replace(lock_path(mirror))


def drop_record(mirror: Path, benchmark: str) -> None:
    records = read_lock(mirror)
    if benchmark in records:
        del records[benchmark]
        lock_path(mirror).unlink()
        for record in records.values():
            write_record(mirror, record)


def digests(path: Path) -> tuple[str, str]:
    """sha256 and git blob id (what the Hub reports for files outside LFS), in one read."""
    sha256 = hashlib.sha256()
    blob = hashlib.sha1(f"blob {path.stat().st_size}\0".encode(), usedforsecurity=False)
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            sha256.update(chunk)
            blob.update(chunk)
    return sha256.hexdigest(), blob.hexdigest()


def file_record(mirror: Path, path: Path, expected_sha256: str | None) -> FileRecord:
    sha256, _ = digests(path)
    return FileRecord(
        path=path.relative_to(mirror).as_posix(),
        sha256=sha256,
        size=path.stat().st_size,
        expected_sha256=expected_sha256,
    )


def provenance(mirror: Path) -> dict[str, Any]:
    """What a result records about its data: each benchmark's source, commit and file checksums as
    they are now. A file that changed since it arrived, or that differed from its published checksum
    when it arrived, makes the data `modified`."""
    benchmarks: dict[str, Any] = {}
    for name, record in sorted(read_lock(mirror).items()):
        now = tuple(_current(mirror, f) for f in record.files)
        changed = [f.path for f, n in zip(record.files, now, strict=True) if n != f]
        benchmarks[name] = {
            "origin": record.origin,
            "source": record.source,
            "revision": record.revision,
            "files": {f.path: f.sha256 for f in now},
            "differs_from_published": [f.path for f in record.files if f.modified],
            "changed_since_import": changed,
            "modified": record.modified or bool(changed),
        }
    return {
        "benchmarks": benchmarks,
        "modified": any(b["modified"] for b in benchmarks.values()),
    }


def _current(mirror: Path, record: FileRecord) -> FileRecord:
    path = mirror / record.path
    if not path.is_file():
        return replace(record, sha256="missing", size=0)
    sha256, _ = digests(path)
    return replace(record, sha256=sha256, size=path.stat().st_size)
