"""Models on the Hugging Face Hub: metadata, small files and safetensors headers; never the weights."""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path
from typing import IO, Any, Protocol

import httpx2
from huggingface_hub import HfApi, HfFileSystem
from huggingface_hub import errors as hub_errors
from huggingface_hub.hf_api import ModelInfo

from openboard.domain import ModelId, PinKind
from openboard.sources._errors import ModelNotFoundError, RevisionNotFoundError, SourceError
from openboard.sources._local import (
    WEIGHT_SUFFIXES,
    Prober,
    build_snapshot,
    metadata_files,
    outside_links,
    refuse_outside_links,
)
from openboard.sources._probe import probe_loadability
from openboard.sources._safetensors import (
    SafetensorsHeader,
    SafetensorsHeaderError,
    read_safetensors_header,
)
from openboard.sources._snapshot import PICKLE_SUFFIXES, ModelSnapshot, Visibility

_PROBE_FILE_LIMIT = 64 * 1024 * 1024


class HubApi(Protocol):
    """The part of `huggingface_hub.HfApi` openboard uses; tests pass a stand-in with these methods."""

    def model_info(
        self, repo_id: str, *, revision: str | None = ..., files_metadata: bool = ...
    ) -> ModelInfo: ...

    def open_file(
        self, repo_id: str, filename: str, *, revision: str
    ) -> AbstractContextManager[IO[bytes]]:
        """A file at a commit, read lazily (HTTP range requests): headers without the weights."""
        ...

    def hf_hub_download(
        self,
        repo_id: str,
        filename: str,
        *,
        revision: str | None = ...,
        cache_dir: str | Path | None = ...,
    ) -> Any: ...

    def snapshot_download(
        self,
        repo_id: str,
        *,
        revision: str | None = ...,
        cache_dir: str | Path | None = ...,
        ignore_patterns: list[str] | str | None = ...,
    ) -> Any: ...


class HubModelSource:
    """Validation reads `model_info`, the small files and the safetensors headers (HTTP range
    requests); evaluation downloads the commit into the cache, pickled files excluded."""

    def __init__(self, api: HubApi, cache: Path, prober: Prober = probe_loadability) -> None:
        self.api = api
        self.cache = cache
        self._prober = prober

    def _info(self, model_id: ModelId, revision: str) -> ModelInfo:
        try:
            with _hub_errors(model_id):
                info = self.api.model_info(str(model_id), revision=revision, files_metadata=True)
        except hub_errors.RevisionNotFoundError as exc:
            raise RevisionNotFoundError(
                f"revision {revision!r} of {model_id} does not exist on the Hub",
                "give a branch, tag or commit that exists in the repository",
            ) from exc
        except hub_errors.RepositoryNotFoundError as exc:
            raise ModelNotFoundError(
                f"model {model_id} does not exist on the Hub, or is private",
                "check the spelling; a private model needs the operator's token and permission",
            ) from exc
        if not info.sha:
            raise SourceError(f"the Hub gave no commit for {model_id}@{revision}", "try again")
        return info

    def resolve(self, model_id: ModelId, revision: str) -> tuple[str, PinKind]:
        return str(self._info(model_id, revision).sha), PinKind.GIT_COMMIT

    def snapshot(self, model_id: ModelId, revision: str, *, probe: bool = True) -> ModelSnapshot:
        info = self._info(model_id, revision)
        sha = str(info.sha)
        files = {s.rfilename: int(s.size or 0) for s in info.siblings or []}
        visibility = Visibility(
            private=bool(info.private),
            gated=str(info.gated) if info.gated else None,
            likes=info.likes,
        )
        try:
            return self._read(model_id, revision, sha, files, visibility, probe)
        except hub_errors.GatedRepoError:
            # The rules decide whether gated models are wanted; say what could not be read.
            return replace(
                build_snapshot(
                    model_id, revision, sha, PinKind.GIT_COMMIT, files, {}, {}, {}, None, visibility
                ),
                unreadable=f"{model_id} is gated and the operator's Hub token has no access to its files",
            )

    def _read(
        self,
        model_id: ModelId,
        revision: str,
        sha: str,
        files: dict[str, int],
        visibility: Visibility,
        probe: bool,
    ) -> ModelSnapshot:
        small: dict[str, bytes] = {}
        folder: Path | None = None
        wanted = metadata_files(files)
        if probe:  # the tokenizer files too, so that AutoTokenizer loads from the cache
            wanted += [
                p for p, size in files.items()
                if p not in wanted and not p.endswith(WEIGHT_SUFFIXES) and size <= _PROBE_FILE_LIMIT
            ]  # fmt: skip
        for name in wanted:
            path = self._download(model_id, name, sha)
            if name in metadata_files(files):
                small[name] = path.read_bytes()
            if "/" not in name:
                folder = path.parent
        headers, header_errors = self._headers(model_id, sha, files)
        load_probe = self._prober(folder) if probe and folder is not None else None
        return build_snapshot(model_id, revision, sha, PinKind.GIT_COMMIT, files, small, headers,
                              header_errors, load_probe, visibility)  # fmt: skip

    def _download(self, model_id: ModelId, name: str, sha: str) -> Path:
        with _hub_errors(model_id):
            return Path(
                self.api.hf_hub_download(str(model_id), name, revision=sha, cache_dir=self.cache)
            )

    def _headers(
        self, model_id: ModelId, sha: str, files: dict[str, int]
    ) -> tuple[dict[str, SafetensorsHeader], dict[str, str]]:
        """Every .safetensors file's header by range reads, held to the same checks as local files."""
        headers: dict[str, SafetensorsHeader] = {}
        errors: dict[str, str] = {}
        for path in sorted(p for p in files if p.endswith(".safetensors")):
            try:
                with (
                    _hub_errors(model_id),
                    self.api.open_file(str(model_id), path, revision=sha) as stream,
                ):
                    headers[path] = read_safetensors_header(stream, files[path], path)
            except SafetensorsHeaderError as exc:
                errors[path] = str(exc)
        return headers, errors

    def checkout(self, model_id: ModelId, revision: str) -> Path:
        with _hub_errors(model_id):
            path = self.api.snapshot_download(
                str(model_id),
                revision=revision,
                cache_dir=self.cache,
                ignore_patterns=[f"*{suffix}" for suffix in PICKLE_SUFFIXES],
            )
        snapshot = Path(path)
        repo = snapshot.parent.parent  # models--org--name: the blobs its links point into
        refuse_outside_links(model_id, outside_links(snapshot, repo))
        return snapshot


class HubClient(HfApi):
    """`HfApi` plus lazy file reads, so that safetensors headers arrive without the weights."""

    def open_file(
        self, repo_id: str, filename: str, *, revision: str
    ) -> AbstractContextManager[IO[bytes]]:
        filesystem = HfFileSystem(token=self.token, endpoint=self.endpoint)
        # Small blocks: reading a header costs one or two range requests, not a weight shard.
        stream: AbstractContextManager[IO[bytes]] = filesystem.open(
            f"{repo_id}/{filename}", "rb", revision=revision, block_size=_HEADER_BLOCK
        )
        return stream


_HEADER_BLOCK = 256 * 1024


@contextmanager
def _hub_errors(model_id: ModelId) -> Iterator[None]:
    """Hub failures as SourceErrors naming the model; the lookups' own errors pass through to be
    mapped by the caller, and a gated repository to the snapshot that reports it."""
    try:
        yield
    except (
        hub_errors.RepositoryNotFoundError,
        hub_errors.RevisionNotFoundError,
        hub_errors.GatedRepoError,
    ):
        raise
    except hub_errors.HfHubHTTPError as exc:
        raise SourceError(
            f"the Hub answered with an error for {model_id}: {exc}", "try again in a few minutes"
        ) from exc
    except (OSError, httpx2.HTTPError) as exc:
        raise SourceError(
            f"could not reach the Hugging Face Hub for {model_id}: {exc}",
            "check the network and HF_HUB_OFFLINE, or use the hf-cache source on offline machines",
        ) from exc
