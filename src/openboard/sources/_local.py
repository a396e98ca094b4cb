"""The default model source: `<root>/<org>/<name>`, a git repository or a plain folder."""

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from openboard.domain import ModelId, PinKind
from openboard.sources import _git
from openboard.sources._errors import ModelNotFoundError, RevisionNotFoundError, SourceError
from openboard.sources._probe import LoadProbe, probe_loadability
from openboard.sources._safetensors import (
    SafetensorsHeader,
    SafetensorsHeaderError,
    read_safetensors_file_header,
    read_safetensors_header,
)
from openboard.sources._snapshot import PICKLE_SUFFIXES, PUBLIC, ModelSnapshot, Visibility

WEIGHT_SUFFIXES = (".safetensors", ".gguf", ".onnx", ".h5", ".msgpack", *PICKLE_SUFFIXES)
_SMALL_FILE = 1024 * 1024
_PROBE_FILE_LIMIT = 64 * 1024 * 1024
Prober = Callable[[Path], LoadProbe]


class LocalModelSource:
    """Models on this machine. A git repository pins to a commit; a plain folder to a fingerprint."""

    def __init__(self, root: Path, checkouts: Path, prober: Prober = probe_loadability) -> None:
        self.root = root
        self.checkouts = checkouts
        self._prober = prober

    def folder(self, model_id: ModelId) -> Path:
        folder = self.root / model_id.org / model_id.name
        if not folder.is_dir():
            raise ModelNotFoundError(
                f"model {model_id} not found in the local model source",
                f"put the model in {folder} (a git repository or a folder with config.json)",
            )
        return folder

    def resolve(self, model_id: ModelId, revision: str) -> tuple[str, PinKind]:
        folder = self.folder(model_id)
        if _git.is_git_repository(folder):
            return _git.resolve_revision(folder, revision), PinKind.GIT_COMMIT
        fingerprint = fingerprint_folder(folder)
        if revision not in ("main", fingerprint):
            raise RevisionNotFoundError(
                f"{model_id} is a plain folder with no branches or tags; revision {revision!r} does not exist",
                "leave the revision empty (main), or make the folder a git repository",
            )
        return fingerprint, PinKind.FINGERPRINT

    def snapshot(self, model_id: ModelId, revision: str, *, probe: bool = True) -> ModelSnapshot:
        sha, pin = self.resolve(model_id, revision)
        folder = self.folder(model_id)
        if pin is PinKind.GIT_COMMIT:
            return self._git_snapshot(model_id, revision, folder, sha, probe)
        return self._folder_snapshot(model_id, revision, folder, sha, probe)

    def checkout(self, model_id: ModelId, revision: str) -> Path:
        """A folder holding exactly `revision` (a pinned sha or fingerprint) for evaluation."""
        folder = self.folder(model_id)
        if not _git.is_git_repository(folder):
            refuse_outside_links(model_id, outside_links(folder))
            current = fingerprint_folder(folder)
            if current != revision:
                raise SourceError(
                    f"{model_id} changed since it was submitted (fingerprint {revision[:12]} is now {current[:12]})",
                    "submit the model again, or keep models in git repositories so old revisions stay readable",
                )
            return folder
        if not _git.FULL_SHA.fullmatch(revision):
            raise RevisionNotFoundError(
                f"{revision!r} is not a pinned commit sha", "resubmit the model"
            )
        refuse_outside_links(
            model_id,
            {p: t for p, t in _git.list_links(folder, revision).items() if _git.link_leaves(p, t)},
        )
        target = self.checkouts / model_id.org / model_id.name / revision
        if target.is_dir():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{revision}-", dir=target.parent))
        try:
            _git.export_tree(folder, revision, staging)
            staging.rename(target)  # atomic: a half-written checkout is never used
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return target

    def _git_snapshot(
        self, model_id: ModelId, requested: str, repo: Path, sha: str, probe: bool
    ) -> ModelSnapshot:
        links = _git.list_links(repo, sha)
        leaving = {p: t for p, t in links.items() if _git.link_leaves(p, t)}
        files = {p: size for p, size in _git.list_files(repo, sha).items() if p not in links}
        small = {p: _git.read_blob(repo, sha, p) for p in metadata_files(files)}
        headers: dict[str, SafetensorsHeader] = {}
        errors: dict[str, str] = {}
        for path in (p for p in files if p.endswith(".safetensors")):
            try:
                with _git.open_blob(repo, sha, path) as stream:
                    headers[path] = read_safetensors_header(stream, files[path], path)
            except SafetensorsHeaderError as exc:
                errors[path] = str(exc)
        load_probe = None
        if probe and not leaving:
            with tempfile.TemporaryDirectory(prefix="openboard-probe-") as tmp:
                probe_paths = [
                    p for p, size in files.items()
                    if not p.endswith(WEIGHT_SUFFIXES) and size <= _PROBE_FILE_LIMIT
                ]  # fmt: skip
                _git.export_tree(repo, sha, Path(tmp), probe_paths)
                load_probe = self._prober(Path(tmp))
        snapshot = build_snapshot(
            model_id, requested, sha, PinKind.GIT_COMMIT, files, small, headers, errors, load_probe
        )
        return replace(snapshot, outside_links=leaving)

    def _folder_snapshot(
        self, model_id: ModelId, requested: str, folder: Path, fingerprint: str, probe: bool
    ) -> ModelSnapshot:
        prober = self._prober if probe else None
        return folder_snapshot(
            model_id, requested, folder, fingerprint, PinKind.FINGERPRINT, prober
        )


def folder_snapshot(
    model_id: ModelId,
    requested: str,
    folder: Path,
    revision: str,
    pin: PinKind,
    prober: Prober | None,
    boundary: Path | None = None,
) -> ModelSnapshot:
    """The snapshot of files on disk (a plain folder, or a Hugging Face cache snapshot whose
    `boundary` is its repository's cache folder). Links out of the boundary are never read; the
    loading probe does not run while there are any."""
    files, leaving = _walk(folder, boundary or folder)
    small = {p: (folder / p).read_bytes() for p in metadata_files(files)}
    headers: dict[str, SafetensorsHeader] = {}
    errors: dict[str, str] = {}
    for path in (p for p in files if p.endswith(".safetensors")):
        try:
            headers[path] = read_safetensors_file_header(folder / path)
        except SafetensorsHeaderError as exc:
            errors[path] = str(exc)
    load_probe = prober(folder) if prober and not leaving else None
    snapshot = build_snapshot(
        model_id, requested, revision, pin, files, small, headers, errors, load_probe
    )
    return replace(snapshot, outside_links=leaving)


SAFETENSORS_INDEX = "model.safetensors.index.json"
_METADATA_NAMES = (
    "config.json",
    "tokenizer_config.json",
    "chat_template.jinja",
    "README.md",
    "adapter_config.json",
    SAFETENSORS_INDEX,
)


def metadata_files(files: dict[str, int]) -> list[str]:
    return [name for name in _METADATA_NAMES if name in files and files[name] <= 16 * _SMALL_FILE]


def build_snapshot(
    model_id: ModelId,
    requested: str,
    revision: str,
    pin: PinKind,
    files: dict[str, int],
    small: dict[str, bytes],
    headers: dict[str, SafetensorsHeader],
    errors: dict[str, str],
    probe: LoadProbe | None,
    visibility: Visibility = PUBLIC,
) -> ModelSnapshot:
    config, config_error = _json_object(small.get("config.json"), "config.json")
    tokenizer_config, _ = _json_object(small.get("tokenizer_config.json"), "tokenizer_config.json")
    index, index_error = (
        _json_object(small[SAFETENSORS_INDEX], SAFETENSORS_INDEX)
        if SAFETENSORS_INDEX in small
        else (None, None)
    )
    adapter_config, adapter_error = (
        _json_object(small["adapter_config.json"], "adapter_config.json")
        if "adapter_config.json" in small
        else (None, None)
    )
    template = small.get("chat_template.jinja")
    card = small.get("README.md")
    return ModelSnapshot(
        model_id=model_id,
        requested_revision=requested,
        revision=revision,
        pin=pin,
        files=files,
        config=config,
        config_error=config_error,
        tokenizer_config=tokenizer_config,
        chat_template_file=template.decode("utf-8", errors="replace") if template else None,
        card=card.decode("utf-8", errors="replace") if card is not None else None,
        safetensors=headers,
        safetensors_errors=errors,
        safetensors_index=index,
        adapter_config=adapter_config,
        adapter_config_error=adapter_error,
        safetensors_index_error=index_error,
        probe=probe,
        private=visibility.private,
        gated=visibility.gated,
        likes=visibility.likes,
    )


def _json_object(raw: bytes | None, name: str) -> tuple[dict[str, Any] | None, str | None]:
    if raw is None:
        return None, f"{name} is missing"
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"{name} is not valid JSON: {exc}"
    if not isinstance(value, dict):
        return None, f"{name} is not a JSON object"
    return value, None


def walk_files(folder: Path, boundary: Path | None = None) -> dict[str, int]:
    """Path → size of the files under `folder`, without links that leave `boundary`."""
    return _walk(folder, boundary or folder)[0]


def outside_links(folder: Path, boundary: Path | None = None) -> dict[str, str]:
    """The symbolic links under `folder` that resolve outside `boundary` (default: `folder`),
    path → the link's text. A Hugging Face cache snapshot's links into its own blobs stay inside
    the repository's cache folder, its boundary."""
    return _walk(folder, boundary or folder)[1]


def _walk(folder: Path, boundary: Path) -> tuple[dict[str, int], dict[str, str]]:
    files: dict[str, int] = {}
    leaving: dict[str, str] = {}
    inside = boundary.resolve()
    for dirpath, dirnames, filenames in os.walk(folder):  # never descends into linked folders
        dirnames[:] = sorted(d for d in dirnames if d != ".git")
        for name in [*dirnames, *filenames]:
            path = Path(dirpath) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink() and not path.resolve().is_relative_to(inside):
                leaving[relative] = str(path.readlink())
            elif name in filenames and path.is_file():
                files[relative] = path.stat().st_size
    return dict(sorted(files.items())), dict(sorted(leaving.items()))


def refuse_outside_links(model_id: ModelId, links: dict[str, str]) -> None:
    """Checkout and evaluation never read through a link out of the model's files."""
    if links:
        path, target = next(iter(links.items()))
        raise SourceError(
            f"{model_id} has a symbolic link {path} -> {target} that leaves the model's files"
            + (f" (and {len(links) - 1} more)" if len(links) > 1 else ""),
            "replace the link with the file itself, or remove it",
        )


def fingerprint_folder(folder: Path) -> str:
    """Names, sizes, safetensors headers and small files' contents; weight bytes are never hashed."""
    digest = hashlib.sha256(b"openboard-fingerprint-v1\0")
    for relative, size in walk_files(folder).items():
        digest.update(f"{relative}\0{size}\0".encode())
        path = folder / relative
        if relative.endswith(".safetensors"):
            with path.open("rb") as stream:
                prefix = stream.read(8)
                length = int.from_bytes(prefix, "little") if len(prefix) == 8 else 0
                digest.update(prefix + stream.read(min(length, size - 8)))
        elif size <= _SMALL_FILE and not relative.endswith(WEIGHT_SUFFIXES):
            digest.update(path.read_bytes())
    return digest.hexdigest()
