"""Models in a Hugging Face cache folder (`models--org--name/snapshots/<sha>`), for offline use."""

import re
from pathlib import Path

from openboard.domain import ModelId, PinKind
from openboard.sources._errors import ModelNotFoundError, RevisionNotFoundError
from openboard.sources._local import Prober, folder_snapshot, outside_links, refuse_outside_links
from openboard.sources._probe import probe_loadability
from openboard.sources._snapshot import ModelSnapshot

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_SHORT_SHA = re.compile(r"^[0-9a-f]{7,39}$")
_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")


class HfCacheModelSource:
    """Reads what `huggingface_hub` downloaded: refs name commits, snapshots hold the files."""

    def __init__(self, cache: Path, prober: Prober = probe_loadability) -> None:
        self.cache = cache
        self._prober = prober

    def repo_folder(self, model_id: ModelId) -> Path:
        folder = self.cache / f"models--{model_id.org}--{model_id.name}"
        if not (folder / "snapshots").is_dir():
            raise ModelNotFoundError(
                f"model {model_id} is not in the Hugging Face cache {self.cache}",
                f"download it on a connected machine (hf download {model_id}) and copy "
                f"{folder.name} into {self.cache}",
            )
        return folder

    def resolve(self, model_id: ModelId, revision: str) -> tuple[str, PinKind]:
        folder = self.repo_folder(model_id)
        snapshots = sorted(p.name for p in (folder / "snapshots").iterdir() if p.is_dir())
        if _FULL_SHA.fullmatch(revision) and revision in snapshots:
            return revision, PinKind.GIT_COMMIT
        if _REF.fullmatch(revision) and ".." not in revision:
            ref = folder / "refs" / revision
            if ref.is_file():
                sha = ref.read_text(encoding="utf-8").strip()
                if _FULL_SHA.fullmatch(sha) and sha in snapshots:
                    return sha, PinKind.GIT_COMMIT
        if _SHORT_SHA.fullmatch(revision):
            matches = [s for s in snapshots if s.startswith(revision)]
            if len(matches) == 1:
                return matches[0], PinKind.GIT_COMMIT
        raise RevisionNotFoundError(
            f"revision {revision!r} of {model_id} is not in the Hugging Face cache "
            f"(cached commits: {', '.join(s[:12] for s in snapshots) or 'none'})",
            "download that revision (hf download MODEL --revision REV), or submit a cached one",
        )

    def snapshot(self, model_id: ModelId, revision: str, *, probe: bool = True) -> ModelSnapshot:
        sha, pin = self.resolve(model_id, revision)
        repo = self.repo_folder(model_id)
        # The snapshot's files are links into the repository's blobs: inside its boundary.
        return folder_snapshot(
            model_id, revision, repo / "snapshots" / sha, sha, pin,
            self._prober if probe else None, boundary=repo,
        )  # fmt: skip

    def checkout(self, model_id: ModelId, revision: str) -> Path:
        sha, _ = self.resolve(model_id, revision)
        repo = self.repo_folder(model_id)
        refuse_outside_links(model_id, outside_links(repo / "snapshots" / sha, repo))
        return repo / "snapshots" / sha
