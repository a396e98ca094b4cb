"""Where archive files come from: a local copy of a results dataset, or the Hub itself."""

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from huggingface_hub import errors as hub_errors

from openboard.archive._errors import ArchiveError

__all__ = ["RESULTS_PATTERN", "ArchiveFolder", "ArchiveHub", "from_hub", "results_files"]

RESULTS_PATTERN = "**/results_*.json"


@dataclass(frozen=True, slots=True)
class ArchiveFolder:
    """A folder in the results layout, and the dataset it is a copy of (its provenance)."""

    root: Path
    dataset: str
    commit: str | None = None  # the dataset's commit, when known (a Hub snapshot)


def results_files(folder: ArchiveFolder) -> Iterator[tuple[str, Path]]:
    """(path inside the archive, file) of every `results_*.json`, sorted; symbolic links are not
    followed (they could lead out of the archive)."""
    root = folder.root
    if not root.is_dir():
        raise ArchiveError(
            f"{root} is not a folder", "give the folder holding <org>/<model>/results_*.json"
        )
    found: list[tuple[str, Path]] = []
    for here, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in files:
            if name.startswith("results_") and name.endswith(".json"):
                file = Path(here) / name
                found.append((file.relative_to(root).as_posix(), file))
    yield from sorted(found)


class ArchiveHub(Protocol):
    """The part of `huggingface_hub.HfApi` the Hub import uses; tests pass a stand-in."""

    def dataset_info(self, repo_id: str, *, revision: str | None = ...) -> Any: ...

    def snapshot_download(
        self, repo_id: str, *, repo_type: str | None = ..., revision: str | None = ...,
        allow_patterns: list[str] | str | None = ..., local_dir: str | Path | None = ...,
    ) -> str: ...  # fmt: skip


def from_hub(hub: ArchiveHub, dataset: str, revision: str | None, into: Path) -> ArchiveFolder:
    """The dataset's results files at `revision` (default: its newest commit) fetched into `into`
    (files already there and unchanged are not fetched again) as a folder to import."""
    try:
        commit = str(hub.dataset_info(dataset, revision=revision).sha)
        local = hub.snapshot_download(
            dataset, repo_type="dataset", revision=commit, allow_patterns=[RESULTS_PATTERN, "*/*/results_*.json"],
            local_dir=into,
        )  # fmt: skip
    except hub_errors.HfHubHTTPError as exc:
        raise ArchiveError(
            f"the Hub did not give {dataset}: {exc}",
            "check the dataset name and your connection; OPENBOARD_HUB_TOKEN for a gated one",
        ) from exc
    return ArchiveFolder(Path(local), dataset, commit)
