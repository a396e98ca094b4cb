"""What is on disk that `openboard prune` could remove, and the removal itself."""

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from huggingface_hub import scan_cache_dir

from openboard.retention._plan import Candidate, CandidateKind, PruneItem

__all__ = ["apply_prune", "disk_usage", "scan_candidates"]


def scan_candidates(
    artifacts: Path, checkouts: Path, hub_cache: Path | None
) -> Iterator[Candidate]:
    """Every checkout, every Hub download (when the models come from the Hub: otherwise the cache
    is the operator's model source and never ours to prune), and every run's per-sample outputs."""
    yield from _checkouts(checkouts)
    if hub_cache is not None and hub_cache.is_dir():
        yield from _hub_downloads(hub_cache)
    yield from _artifacts(artifacts)


def apply_prune(items: list[PruneItem], hub_cache: Path | None) -> int:
    """Remove what the plan chose; returns the bytes freed."""
    cached = [i.candidate.sha for i in items if i.candidate.kind is CandidateKind.MODEL_CACHE]
    if cached and hub_cache is not None:
        # Through huggingface_hub: it removes blobs that no other revision still links to.
        scan_cache_dir(hub_cache).delete_revisions(*(s for s in cached if s)).execute()
    for item in items:
        path = item.candidate.path
        if item.candidate.kind is CandidateKind.MODEL_CACHE:
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return sum(i.candidate.bytes for i in items)


def _checkouts(root: Path) -> Iterator[Candidate]:
    for sha_dir in sorted(root.glob("*/*/*")):
        if sha_dir.is_dir() and not sha_dir.is_symlink():
            org, name, sha = sha_dir.relative_to(root).parts
            yield Candidate(CandidateKind.CHECKOUT, sha_dir, disk_usage(sha_dir), _mtime(sha_dir),
                            model=f"{org}/{name}", sha=sha)  # fmt: skip


def _hub_downloads(cache: Path) -> Iterator[Candidate]:
    for repo in scan_cache_dir(cache).repos:
        if repo.repo_type != "model":
            continue
        for revision in repo.revisions:
            yield Candidate(
                CandidateKind.MODEL_CACHE, revision.snapshot_path, revision.size_on_disk,
                datetime.fromtimestamp(revision.last_modified, UTC),
                model=repo.repo_id, sha=revision.commit_hash,
            )  # fmt: skip


def _artifacts(root: Path) -> Iterator[Candidate]:
    if not root.is_dir():
        return
    for run in sorted(root.iterdir()):
        if not (run.is_dir() and run.name.isdigit()) or run.is_symlink():
            continue
        request_id = int(run.name)
        yield Candidate(
            CandidateKind.ARTIFACTS, run, disk_usage(run), _mtime(run), request_id=request_id
        )
        for samples in sorted(run.rglob("samples*.jsonl*")):
            if samples.is_file() and not samples.is_symlink():
                yield Candidate(CandidateKind.SAMPLES, samples, samples.stat().st_size,
                                _mtime(samples), request_id=request_id)  # fmt: skip


def disk_usage(root: Path) -> int:
    """Bytes of the files under `root`; links are not followed (their targets are not ours)."""
    total = 0
    for folder, _, names in os.walk(root):  # links are not followed
        for name in names:
            path = Path(folder, name)
            if not path.is_symlink():
                total += path.stat().st_size
    return total


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)
