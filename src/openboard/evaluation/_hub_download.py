"""`openboard datasets download`: the v2 benchmarks from the Hugging Face Hub, at pinned commits.

Every file is checked against the Hub's own record of it (LFS sha256, or the git blob id for files
outside LFS) and against any checksum published for it, then its sha256 goes into the lock file. A
file already in the mirror that still checks is not fetched again, so a run that was interrupted
continues where it stopped; `huggingface_hub` itself resumes a file cut off half-way.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path
from typing import Any, Protocol

from huggingface_hub import errors as hub_errors
from huggingface_hub.hf_api import GitCommitInfo, RepoFile, RepoFolder

from openboard.evaluation._mirror_lock import (
    BenchmarkRecord,
    FileRecord,
    digests,
    read_lock,
    write_record,
)
from openboard.evaluation._v2_sources import HubDataset

TOKEN_SETTING = "OPENBOARD_HUB_TOKEN"  # named in messages, never its value
PRIVATE = ".private"  # GPQA's folder: 0700, files 0600, never served or printed


class DatasetHub(Protocol):
    """The part of `huggingface_hub.HfApi` the download uses; tests pass a stand-in Hub."""

    def list_repo_tree(
        self,
        repo_id: str,
        path_in_repo: str | None = ...,
        *,
        recursive: bool = ...,
        revision: str | None = ...,
        repo_type: str | None = ...,
        token: str | bool | None = ...,
    ) -> Iterable[RepoFile | RepoFolder]: ...

    def list_repo_commits(
        self,
        repo_id: str,
        *,
        repo_type: str | None = ...,
        token: bool | str | None = ...,
        revision: str | None = ...,
    ) -> list[GitCommitInfo]: ...

    def hf_hub_download(
        self,
        repo_id: str,
        filename: str,
        *,
        repo_type: str | None = ...,
        revision: str | None = ...,
        local_dir: str | Path | None = ...,
        token: bool | str | None = ...,
    ) -> Any: ...


@dataclass(frozen=True, slots=True)
class Fetched:
    """What happened to one benchmark: `problem` is one line when it could not be fetched."""

    benchmark: str
    repo_id: str
    revision: str | None
    downloaded: int = 0
    kept: int = 0
    problem: str | None = None


class Progress(Protocol):
    def total(self, size: int) -> None: ...

    def advance(self, size: int) -> None: ...


class _Silent:
    def total(self, size: int) -> None:
        pass

    def advance(self, size: int) -> None:
        pass


class _FetchError(Exception):
    """One benchmark cannot be fetched; the message is the line the operator sees."""


def benchmark_folder(mirror: Path, source: HubDataset) -> Path:
    folder = mirror / source.benchmark
    return folder / PRIVATE if source.gated else folder


def download(
    hub: DatasetHub,
    sources: Iterable[HubDataset],
    mirror: Path,
    token: str | None,
    progress: Progress | None = None,
    token_name: str = TOKEN_SETTING,
) -> list[Fetched]:
    """Fetch every source into `mirror/<benchmark>/` (a gated one into its private folder), lock
    each benchmark as it completes; a benchmark that fails leaves the others fetched."""
    progress = progress or _Silent()
    locked = read_lock(mirror)
    plans: list[tuple[HubDataset, str, list[RepoFile]]] = []
    results: dict[str, Fetched] = {}
    for source in sources:
        try:
            if source.gated and token is None:
                raise _FetchError(_gated_line(source, token_name, has_token=False))
            revision = _revision(hub, source, locked.get(source.benchmark), token)
            plans.append((source, revision, _files(hub, source, revision, token)))
        except _FetchError as problem:
            results[source.benchmark] = Fetched(
                source.benchmark, source.repo_id, None, problem=str(problem)
            )
        except hub_errors.GatedRepoError:
            line = _gated_line(source, token_name, has_token=token is not None)
            results[source.benchmark] = Fetched(
                source.benchmark, source.repo_id, None, problem=line
            )
        except (hub_errors.HfHubHTTPError, OSError) as exc:
            line = f"{source.benchmark}: {source.repo_id} could not be listed: {_short(exc)}"
            results[source.benchmark] = Fetched(
                source.benchmark, source.repo_id, None, problem=line
            )
    progress.total(sum(f.size for _, _, files in plans for f in files))
    for source, revision, files in plans:
        results[source.benchmark] = _fetch(
            hub, source, revision, files, mirror, token, progress, token_name
        )
    return [results[s.benchmark] for s in sources if s.benchmark in results]


def _revision(
    hub: DatasetHub, source: HubDataset, locked: BenchmarkRecord | None, token: str | None
) -> str:
    """The commit to fetch: the pin; a short pin resolved once on `main` and then kept in the lock."""
    if source.full_revision:
        return source.revision
    if (
        locked is not None
        and locked.origin == "hub"
        and locked.revision
        and locked.revision.startswith(source.revision)
    ):
        return locked.revision
    commits = hub.list_repo_commits(
        source.repo_id, repo_type="dataset", revision="main", token=token
    )
    matching = [c.commit_id for c in commits if c.commit_id.startswith(source.revision)]
    if len(matching) != 1:
        raise _FetchError(
            f"{source.benchmark}: {source.repo_id} has no single commit {source.revision}… on main "
            f"({len(matching)} found); see {source.page}/commits/main and docs/datasets.md"
        )
    return matching[0]


def _files(hub: DatasetHub, source: HubDataset, revision: str, token: str | None) -> list[RepoFile]:
    tree = hub.list_repo_tree(
        source.repo_id, recursive=True, revision=revision, repo_type="dataset", token=token
    )
    files = sorted(
        (f for f in tree if isinstance(f, RepoFile) and source.wanted(f.path)), key=lambda f: f.path
    )
    missing = [p for p in source.files if not any(fnmatch(f.path, p) for f in files)]
    if missing:
        raise _FetchError(
            f"{source.benchmark}: {source.repo_id} at {revision[:12]} has no file matching {missing[0]}; "
            "the repository changed its layout (see docs/datasets.md)"
        )
    return files


def _fetch(
    hub: DatasetHub,
    source: HubDataset,
    revision: str,
    files: list[RepoFile],
    mirror: Path,
    token: str | None,
    progress: Progress,
    token_name: str,
) -> Fetched:
    folder = benchmark_folder(mirror, source)
    _make_folder(folder, private=source.gated)
    records: list[FileRecord] = []
    downloaded = kept = 0
    try:
        for entry in files:
            target = folder / entry.path
            if target.is_file() and _problem(target, entry, source) is None:
                kept += 1
            else:
                _get(hub, source, revision, entry, folder, token)
                downloaded += 1
            sha256 = digests(target)[0]  # checked equal to the Hub's file, and to any published
            relative = target.relative_to(mirror).as_posix()
            records.append(FileRecord(relative, sha256, entry.size, expected_sha256=sha256))
            progress.advance(entry.size)
    except _FetchError as problem:
        return Fetched(source.benchmark, source.repo_id, revision, downloaded, kept, str(problem))
    except hub_errors.GatedRepoError:
        line = _gated_line(source, token_name, has_token=token is not None)
        return Fetched(source.benchmark, source.repo_id, revision, downloaded, kept, line)
    except (hub_errors.HfHubHTTPError, OSError) as exc:
        line = (
            f"{source.benchmark}: download interrupted ({_short(exc)}); "
            "run `openboard datasets download` again to continue"
        )
        return Fetched(source.benchmark, source.repo_id, revision, downloaded, kept, line)
    write_record(
        mirror, BenchmarkRecord(source.benchmark, "hub", source.repo_id, revision, tuple(records))
    )
    return Fetched(source.benchmark, source.repo_id, revision, downloaded, kept)


def _get(
    hub: DatasetHub,
    source: HubDataset,
    revision: str,
    entry: RepoFile,
    folder: Path,
    token: str | None,
) -> None:
    hub.hf_hub_download(
        source.repo_id,
        entry.path,
        repo_type="dataset",
        revision=revision,
        local_dir=folder,
        token=token,
    )
    target = folder / entry.path
    if source.gated:
        target.chmod(0o600)
    problem = _problem(target, entry, source)
    if problem is not None:
        target.unlink()  # never keep bytes that are not the pinned file
        raise _FetchError(problem)


def _problem(path: Path, entry: RepoFile, source: HubDataset) -> str | None:
    """Why the file at `path` is not the Hub's `entry` (None: it is)."""
    sha256, blob_id = digests(path)
    where = f"{source.benchmark}: {entry.path}"
    if entry.lfs is not None and sha256 != entry.lfs.sha256:
        return f"{where} has sha256 {sha256[:16]}…, the Hub lists {entry.lfs.sha256[:16]}… (checksum mismatch)"
    if entry.lfs is None and blob_id != entry.blob_id:
        return f"{where} has git blob {blob_id[:16]}…, the Hub lists {entry.blob_id[:16]}… (checksum mismatch)"
    published = source.sha256.get(entry.path)
    if published is not None and sha256 != published:
        return f"{where} has sha256 {sha256[:16]}…, published {published[:16]}… (checksum mismatch)"
    return None


def _make_folder(folder: Path, private: bool) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if private:
        folder.chmod(0o700)  # before a single question arrives
        for path in folder.rglob("*"):
            path.chmod(0o700 if path.is_dir() else 0o600)


def _gated_line(source: HubDataset, token_name: str, has_token: bool) -> str:
    if has_token:
        return (
            f"{source.benchmark}: the account of {token_name} has not accepted the terms of "
            f"{source.repo_id}; accept them at {source.page} and run again"
        )
    return (
        f"{source.benchmark}: {source.repo_id} is gated; accept its terms at {source.page}, "
        f"then set {token_name} to a token of that account and run again"
    )


def _short(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__


def hub_api() -> DatasetHub:
    """The real Hub client, quiet: openboard draws one bar for the whole download."""
    from huggingface_hub import HfApi
    from huggingface_hub.utils.tqdm import disable_progress_bars

    disable_progress_bars()
    api: DatasetHub = HfApi()
    return api
