"""The few git plumbing commands the local source needs; every argument is checked or comes from git."""

import re
import subprocess
import tarfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from openboard.sources._errors import RevisionNotFoundError, SourceError

_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+-]{0,254}$")
FULL_SHA = re.compile(r"^[0-9a-f]{40}$")


def is_git_repository(folder: Path) -> bool:
    return (folder / ".git").exists()


def _git(repo: Path, *args: str) -> list[str]:
    # safe.directory: the operator put this repository under the model root on purpose,
    # whoever owns its files.
    return ["git", "-c", f"safe.directory={repo}", "-C", str(repo), *args]


def _run(repo: Path, *args: str) -> bytes:
    proc = subprocess.run(_git(repo, *args), capture_output=True, check=False)
    if proc.returncode != 0:
        raise SourceError(
            f"git {args[0]} failed in {repo.name}: {proc.stderr.decode(errors='replace').strip()}",
            "check that the model folder is a valid git repository",
        )
    return proc.stdout


def resolve_revision(repo: Path, revision: str) -> str:
    """A branch, tag, short or full sha → the full commit sha."""
    if not _REVISION.fullmatch(revision) or ".." in revision:
        raise RevisionNotFoundError(
            f"revision {revision!r} is not a valid branch, tag or commit name",
            "use a branch (main), a tag, or a commit sha",
        )
    proc = subprocess.run(
        _git(repo, "rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"),
        capture_output=True,
        check=False,
    )
    sha = proc.stdout.decode().strip()
    if proc.returncode != 0 or not FULL_SHA.fullmatch(sha):
        raise RevisionNotFoundError(
            f"revision {revision!r} does not exist in {repo.parent.name}/{repo.name}",
            "push the branch or tag first, or give the full commit sha",
        )
    return sha


def list_files(repo: Path, sha: str) -> dict[str, int]:
    """Path → size in bytes of every blob in the commit's tree."""
    out = _run(repo, "ls-tree", "-r", "-l", "-z", sha)
    files: dict[str, int] = {}
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        kind, size = meta.split()[1], meta.split()[3]
        if kind == b"blob":
            files[path.decode()] = int(size)
    return files


def list_links(repo: Path, sha: str) -> dict[str, str]:
    """Path → target text of every symbolic link in the commit's tree."""
    out = _run(repo, "ls-tree", "-r", "-z", sha)
    paths = [
        record.partition(b"\t")[2].decode()
        for record in out.split(b"\0")
        if record.startswith(b"120000 ")
    ]
    return {path: read_blob(repo, sha, path).decode(errors="replace") for path in paths}


def link_leaves(path: str, target: str) -> bool:
    """Whether a link at `path` (inside the tree) pointing at `target` leads out of the tree."""
    if target.startswith("/"):
        return True
    depth = path.count("/")  # the link's folder, counted from the tree's top
    for part in target.split("/"):
        if part == "..":
            depth -= 1
            if depth < 0:
                return True
        elif part not in ("", "."):
            depth += 1
    return False


def read_blob(repo: Path, sha: str, path: str) -> bytes:
    return _run(repo, "cat-file", "blob", f"{sha}:{path}")


@contextmanager
def open_blob(repo: Path, sha: str, path: str) -> Iterator[IO[bytes]]:
    """Stream a blob so a caller can read its first bytes without git writing out gigabytes."""
    proc = subprocess.Popen(
        _git(repo, "cat-file", "blob", f"{sha}:{path}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    try:
        yield proc.stdout
    finally:
        proc.stdout.close()
        proc.kill()
        proc.wait()


def export_tree(repo: Path, sha: str, destination: Path, paths: list[str] | None = None) -> None:
    """Write the commit's files (or only `paths`) into `destination`; the repository is not touched."""
    destination.mkdir(parents=True, exist_ok=True)
    args = ["archive", "--format=tar", sha]
    if paths is not None:
        if not paths:
            return
        args += ["--", *paths]
    proc = subprocess.Popen(_git(repo, *args), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
        # The 'data' filter refuses absolute paths, '..' and links out of the destination.
        archive.extractall(destination, filter="data")
    stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.wait() != 0:
        raise SourceError(f"git archive failed: {stderr.strip()}", "check the model repository")
