"""The Hub and Hugging Face cache model sources, on real files and without the network.

The Hub cannot be reached from tests, so `FakeHfApi` stands in for `huggingface_hub.HfApi`: it
serves real git repositories (copies of the tiny demo model) the way the Hub serves model repos,
returns the library's own `ModelInfo` and safetensors dataclasses, raises the library's own errors,
and writes downloads into the library's own cache layout (which `huggingface_hub` itself is asked
to recognize). Everything else — the sources, the probe, validation — is the real code.
"""

import json
import os
import re
import shutil
import struct
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Literal

import httpx2  # the HTTP library huggingface_hub 2.x builds its errors on
import pytest
from huggingface_hub import constants as hub_constants
from huggingface_hub import errors as hub_errors
from huggingface_hub import scan_cache_dir, snapshot_download, try_to_load_from_cache
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils._paths import filter_repo_objects

from openboard.demo._git import commit_all
from openboard.domain import ModelId, PinKind, Severity, SubmissionRequest, Verdict
from openboard.sources import (
    HfCacheModelSource,
    HubModelSource,
    LocalModelSource,
    ModelNotFoundError,
    ModelSnapshot,
    RevisionNotFoundError,
    SourceError,
)
from openboard.validation import ValidationPolicy, validate

from .conftest import POSTGRES_SERVER, git

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

# --------------------------------------------------------------------------------------------
# The Hub cache layout, written the way huggingface_hub writes it
# --------------------------------------------------------------------------------------------

_FULL_SHA = re.compile(r"^[0-9a-f]{40}$")
_HUB_REVISION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")


def _git_bytes(repo: Path, *args: str) -> bytes:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True).stdout


def git_tree(repo: Path, sha: str) -> dict[str, tuple[str, int]]:
    """Path → (git blob id, size) of every file in the commit."""
    tree: dict[str, tuple[str, int]] = {}
    for record in _git_bytes(repo, "ls-tree", "-r", "-l", "-z", sha).split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            _, kind, blob_id, size = meta.split()
            if kind == b"blob":
                tree[path.decode()] = (blob_id.decode(), int(size))
    return tree


def storage_folder(cache: Path, repo_id: str) -> Path:
    return cache / ("models--" + repo_id.replace("/", "--"))


def cache_file(cache: Path, repo_id: str, repo: Path, sha: str, path: str) -> Path:
    """`blobs/<id>` holds the bytes; `snapshots/<sha>/<path>` is a relative symlink to it."""
    storage = storage_folder(cache, repo_id)
    blob_id, _ = git_tree(repo, sha)[path]
    blob = storage / "blobs" / blob_id  # the Hub names non-LFS blobs by their git blob id
    if not blob.exists():
        blob.parent.mkdir(parents=True, exist_ok=True)
        blob.write_bytes(_git_bytes(repo, "cat-file", "blob", f"{sha}:{path}"))
    pointer = storage / "snapshots" / sha / path
    if not pointer.is_symlink():
        pointer.parent.mkdir(parents=True, exist_ok=True)
        pointer.symlink_to(os.path.relpath(blob, pointer.parent))
    return pointer


def cache_ref(cache: Path, repo_id: str, ref: str, sha: str) -> None:
    """`refs/<branch>` holds the commit sha, without a newline (as huggingface_hub writes it)."""
    path = storage_folder(cache, repo_id) / "refs" / ref
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(sha)


def _response(status: int, url: str) -> httpx2.Response:
    return httpx2.Response(status, request=httpx2.Request("GET", url))


# --------------------------------------------------------------------------------------------
# FakeHfApi: the Hub's answers, computed from real git repositories
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FakeRepo:
    """A model repository on the fake Hub; `access` is whether the operator's token may read a gated one."""

    git: Path
    private: bool = False
    gated: Literal["auto", "manual"] | None = None
    access: bool = True
    likes: int = 0


@dataclass(frozen=True)
class Download:
    repo_id: str
    sha: str  # the commit the file was read at
    filename: str
    requested: str | None  # the revision the caller asked for: a pinned sha, or a moving branch


@dataclass
class FakeHfApi:
    """The four `HfApi` methods openboard calls (see `openboard.sources.HubApi`)."""

    repos: dict[str, FakeRepo]
    downloads: list[Download] = field(default_factory=list)  # every file written to a cache
    header_reads: list[Download] = field(default_factory=list)  # safetensors headers read remotely

    def downloaded(self, repo_id: str) -> set[str]:
        return {d.filename for d in self.downloads if d.repo_id == repo_id}

    def _repo(self, repo_id: str) -> FakeRepo:
        if repo_id not in self.repos:
            raise hub_errors.RepositoryNotFoundError(
                f"404 Client Error. Repository Not Found for url: https://huggingface.co/api/models/{repo_id}",
                response=_response(404, f"https://huggingface.co/api/models/{repo_id}"),
            )
        return self.repos[repo_id]

    def _check_access(self, repo_id: str, repo: FakeRepo, filename: str) -> None:
        if repo.gated and not repo.access:
            url = f"https://huggingface.co/{repo_id}/resolve/main/{filename}"
            raise hub_errors.GatedRepoError(
                f"403 Client Error. Cannot access gated repo for url {url}. "
                f"Access to model {repo_id} is restricted and you are not in the authorized list.",
                response=_response(403, url),
            )

    def _commit(self, repo_id: str, repo: FakeRepo, revision: str | None) -> str:
        """Like the Hub: a branch, a tag or a full commit sha; short shas are not resolved."""
        revision = revision or "main"
        candidates = (
            [revision]
            if _FULL_SHA.match(revision)
            else [f"refs/heads/{revision}", f"refs/tags/{revision}"]
        )
        if _HUB_REVISION.match(revision) and ".." not in revision:
            for candidate in candidates:
                proc = subprocess.run(
                    [
                        "git",
                        "-C",
                        str(repo.git),
                        "rev-parse",
                        "--verify",
                        "--quiet",
                        f"{candidate}^{{commit}}",
                    ],
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if proc.returncode == 0:
                    return proc.stdout.strip()
        url = f"https://huggingface.co/api/models/{repo_id}/revision/{revision}"
        raise hub_errors.RevisionNotFoundError(
            f"404 Client Error. Revision Not Found for url: {url}.", response=_response(404, url)
        )

    def model_info(
        self, repo_id: str, *, revision: str | None = None, files_metadata: bool = False
    ) -> ModelInfo:
        repo = self._repo(repo_id)
        sha = self._commit(repo_id, repo, revision)
        siblings = [
            {"rfilename": path, **({"size": size, "blobId": blob_id} if files_metadata else {})}
            for path, (blob_id, size) in git_tree(repo.git, sha).items()
        ]
        return ModelInfo(  # type: ignore[no-untyped-call]
            id=repo_id,
            sha=sha,
            private=repo.private,
            gated=repo.gated or False,  # the Hub says False, "auto" or "manual"
            likes=repo.likes,
            siblings=siblings,
        )

    def hf_hub_download(
        self,
        repo_id: str,
        filename: str,
        *,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
    ) -> str:
        assert cache_dir is not None, "openboard always names its cache"
        repo = self._repo(repo_id)
        self._check_access(repo_id, repo, filename)
        sha = self._commit(repo_id, repo, revision)
        if filename not in git_tree(repo.git, sha):
            url = f"https://huggingface.co/{repo_id}/resolve/{sha}/{filename}"
            raise hub_errors.RemoteEntryNotFoundError(
                f"404 Client Error. Entry Not Found for url: {url}.", response=_response(404, url)
            )
        path = cache_file(Path(cache_dir), repo_id, repo.git, sha, filename)
        if revision and revision != sha:
            cache_ref(Path(cache_dir), repo_id, revision, sha)
        self.downloads.append(Download(repo_id, sha, filename, revision))
        return str(path)

    @contextmanager
    def open_file(self, repo_id: str, filename: str, *, revision: str) -> Iterator[IO[bytes]]:
        """The blob as a lazy stream, as HfFileSystem's range requests give it: whatever the
        reader does not read is never produced."""
        repo = self._repo(repo_id)
        self._check_access(repo_id, repo, filename)
        sha = self._commit(repo_id, repo, revision)
        if filename not in git_tree(repo.git, sha):
            raise hub_errors.RemoteEntryNotFoundError(
                f"{filename} not in {repo_id}", response=_response(404, filename)
            )
        self.header_reads.append(Download(repo_id, sha, filename, revision))
        with subprocess.Popen(
            ["git", "-C", str(repo.git), "cat-file", "blob", f"{sha}:{filename}"],
            stdout=subprocess.PIPE,
        ) as proc:
            assert proc.stdout is not None
            try:
                yield proc.stdout
            finally:
                proc.kill()  # the weights that follow the header are never read

    def snapshot_download(
        self,
        repo_id: str,
        *,
        revision: str | None = None,
        cache_dir: str | Path | None = None,
        ignore_patterns: list[str] | str | None = None,
    ) -> str:
        assert cache_dir is not None, "openboard always names its cache"
        repo = self._repo(repo_id)
        self._check_access(repo_id, repo, "config.json")
        sha = self._commit(repo_id, repo, revision)
        # The library's own pattern matching decides what is skipped.
        for path in filter_repo_objects(git_tree(repo.git, sha), ignore_patterns=ignore_patterns):
            cache_file(Path(cache_dir), repo_id, repo.git, sha, path)
            self.downloads.append(Download(repo_id, sha, path, revision))
        if revision and revision != sha:
            cache_ref(Path(cache_dir), repo_id, revision, sha)
        return str(storage_folder(Path(cache_dir), repo_id) / "snapshots" / sha)


# --------------------------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------------------------

NOW = datetime.now(UTC)
SMALL_FILES = {
    "README.md",
    "chat_template.jinja",
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
}


def _copy_repo(model_library: Path, target: Path) -> Path:
    shutil.copytree(model_library / "demo" / "tiny", target)
    return target


def _request(model: str) -> SubmissionRequest:
    return SubmissionRequest(model=model, model_type="pretrained", sender="t")


def _errors(verdict: Verdict) -> list[tuple[str, str]]:
    return [(f.check, f.message) for f in verdict.findings if f.severity is Severity.ERROR]


@pytest.fixture(scope="module")
def tiny_params(model_library: Path, tmp_path_factory: pytest.TempPathFactory) -> int:
    """The parameter count the local source reads from the same git repository."""
    local = LocalModelSource(model_library, tmp_path_factory.mktemp("checkouts"))
    count = local.snapshot(ModelId("demo", "tiny"), "main", probe=False).param_count
    assert count is not None
    return count


@pytest.fixture(scope="module")
def hub_repos(model_library: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Git repositories served by the fake Hub; none of them is changed by a test."""
    root = tmp_path_factory.mktemp("hub")
    tiny = _copy_repo(model_library, root / "tiny")

    hostile = _copy_repo(model_library, root / "hostile")
    weights = hostile / "model.safetensors"
    data = weights.read_bytes()
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8 : 8 + length])
    # Two tensors of one shape; the second is made to claim the first one's bytes.
    header["model.layers.1.self_attn.q_proj.weight"]["data_offsets"] = header[
        "model.layers.0.self_attn.q_proj.weight"
    ]["data_offsets"]
    raw = json.dumps(header).encode()
    weights.write_bytes(struct.pack("<Q", len(raw)) + raw + data[8 + length :])
    commit_all(hostile, "overlapping tensors")

    truncated = _copy_repo(model_library, root / "truncated")
    (truncated / "model.safetensors").write_bytes(data[:-4])  # the last tensor lost 4 bytes
    commit_all(truncated, "truncated upload")

    pickled = _copy_repo(model_library, root / "with-pickle")
    (pickled / "pytorch_model.bin").write_bytes(b"not a pickle; must never be downloaded")
    (pickled / "optimizer.pt").write_bytes(b"not a pickle either")
    commit_all(pickled, "pickled copies beside the safetensors")

    sharded = _copy_repo(model_library, root / "sharded")
    _shard(sharded)
    commit_all(sharded, "sharded")
    return {
        "tiny": tiny,
        "hostile": hostile,
        "truncated": truncated,
        "pickled": pickled,
        "sharded": sharded,
    }


def _shard(folder: Path) -> None:
    """Split model.safetensors into two shards and an index, as save_pretrained does."""
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / "model.safetensors")
    names = sorted(tensors)
    half = len(names) // 2
    shards = {
        "model-00001-of-00002.safetensors": names[:half],
        "model-00002-of-00002.safetensors": names[half:],
    }
    for shard, members in shards.items():
        save_file({n: tensors[n] for n in members}, folder / shard, metadata={"format": "pt"})
    index = {
        "metadata": {"total_size": sum(t.numel() * t.element_size() for t in tensors.values())},
        "weight_map": {n: shard for shard, members in shards.items() for n in members},
    }
    (folder / "model.safetensors.index.json").write_text(json.dumps(index, indent=2))
    (folder / "model.safetensors").unlink()


@pytest.fixture
def api(hub_repos: dict[str, Path]) -> FakeHfApi:
    tiny = hub_repos["tiny"]
    return FakeHfApi(
        {
            "org/tiny": FakeRepo(tiny, likes=7),
            "org/private": FakeRepo(tiny, private=True),
            "org/gated": FakeRepo(tiny, gated="manual", access=True),
            "org/gated-no-access": FakeRepo(tiny, gated="auto", access=False),
            "org/hostile": FakeRepo(hub_repos["hostile"]),
            "org/truncated": FakeRepo(hub_repos["truncated"]),
            "org/pickled": FakeRepo(hub_repos["pickled"]),
            "org/sharded": FakeRepo(hub_repos["sharded"]),
        }
    )


@pytest.fixture
def hub(api: FakeHfApi, tmp_path: Path) -> HubModelSource:
    return HubModelSource(api, tmp_path / "hf-cache")


# --------------------------------------------------------------------------------------------
# HubModelSource
# --------------------------------------------------------------------------------------------


def test_hub_snapshot_pins_the_branch_and_reads_small_files_and_headers_only(
    hub: HubModelSource, api: FakeHfApi, hub_repos: dict[str, Path], tiny_params: int
) -> None:
    import transformers

    sha = git(hub_repos["tiny"], "rev-parse", "HEAD")
    snapshot = hub.snapshot(ModelId("org", "tiny"), "main")

    assert (snapshot.requested_revision, snapshot.revision, snapshot.pin) == (
        "main", sha, PinKind.GIT_COMMIT
    )  # fmt: skip
    assert snapshot.files == {p: s for p, (_, s) in git_tree(hub_repos["tiny"], sha).items()}
    assert snapshot.config is not None and snapshot.config["num_hidden_layers"] == 2
    assert snapshot.architectures == ["LlamaForCausalLM"]
    assert (
        snapshot.tokenizer_config is not None and snapshot.tokenizer_config["eos_token"] == "</s>"
    )
    assert snapshot.chat_template is not None and "add_generation_prompt" in snapshot.chat_template
    assert snapshot.card is not None and "license: apache-2.0" in snapshot.card
    assert (snapshot.private, snapshot.gated, snapshot.likes, snapshot.unreadable) == (
        False, None, 7, None
    )  # fmt: skip
    assert snapshot.safetensors_errors == {}
    assert snapshot.param_count == tiny_params
    assert snapshot.probe is not None
    assert snapshot.probe.transformers_version == transformers.__version__
    assert (snapshot.probe.config_error, snapshot.probe.tokenizer_error) == (None, None)
    assert snapshot.probe.model_error is None
    # Validation downloads the small files only; the weights are known by their headers.
    assert api.downloaded("org/tiny") == SMALL_FILES
    # Every file is asked for by the pinned sha, never by the branch, which may move meanwhile.
    assert {(d.sha, d.requested) for d in api.downloads} == {(sha, sha)}
    assert api.header_reads == [Download("org/tiny", sha, "model.safetensors", sha)]
    storage = hub.cache / "models--org--tiny"
    assert sorted(p.name for p in (storage / "snapshots" / sha).iterdir()) == sorted(SMALL_FILES)
    assert not (storage / "refs").exists()  # no branch was ever named to the Hub's file API


def test_hub_snapshot_without_probe_fetches_only_the_metadata_files(
    hub: HubModelSource, api: FakeHfApi
) -> None:
    snapshot = hub.snapshot(ModelId("org", "tiny"), "main", probe=False)
    assert snapshot.probe is None
    assert api.downloaded("org/tiny") == {
        "README.md", "chat_template.jinja", "config.json", "tokenizer_config.json"
    }  # fmt: skip


def test_hub_model_is_accepted_by_the_default_policy(
    hub: HubModelSource, hub_repos: dict[str, Path], tiny_params: int
) -> None:
    snapshot = hub.snapshot(ModelId("org", "tiny"), "main")
    verdict = validate(snapshot, _request("org/tiny"), ValidationPolicy(), NOW)
    assert _errors(verdict) == []
    assert verdict.accepted
    assert verdict.revision == git(hub_repos["tiny"], "rev-parse", "HEAD")
    assert verdict.params == tiny_params
    assert verdict.architectures == ["LlamaForCausalLM"]
    assert verdict.license == "apache-2.0"


def test_hub_resolves_branches_tags_and_full_shas_to_the_commit(
    api: FakeHfApi, tmp_path: Path, model_library: Path
) -> None:
    repo = _copy_repo(model_library, tmp_path / "moving")
    api.repos["org/moving"] = FakeRepo(repo)
    hub = HubModelSource(api, tmp_path / "cache")
    model = ModelId("org", "moving")
    old = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nRetrained.\n")
    new = commit_all(repo, "new card")
    assert hub.resolve(model, "main") == (new, PinKind.GIT_COMMIT)
    assert hub.resolve(model, "v1") == (old, PinKind.GIT_COMMIT)
    assert hub.resolve(model, old) == (old, PinKind.GIT_COMMIT)
    snapshot = hub.snapshot(model, "v1", probe=False)
    assert snapshot.revision == old
    assert snapshot.card is not None and "Retrained." not in snapshot.card
    assert {d.sha for d in api.downloads} == {old}


def test_hub_private_model_is_refused_unless_the_policy_allows_it(hub: HubModelSource) -> None:
    snapshot = hub.snapshot(ModelId("org", "private"), "main")
    assert snapshot.private is True
    refused = validate(snapshot, _request("org/private"), ValidationPolicy(), NOW)
    assert _errors(refused) == [
        ("public", "the model is private; only public models are evaluated")
    ]
    allowed = validate(snapshot, _request("org/private"), ValidationPolicy(allow_private=True), NOW)
    assert _errors(allowed) == []


def test_hub_gated_model_is_refused_unless_the_policy_allows_it(hub: HubModelSource) -> None:
    snapshot = hub.snapshot(ModelId("org", "gated"), "main")
    assert (snapshot.gated, snapshot.unreadable) == ("manual", None)
    refused = validate(snapshot, _request("org/gated"), ValidationPolicy(), NOW)
    assert _errors(refused) == [
        ("public", "the model is gated (manual approval); only ungated models are evaluated")
    ]
    allowed = validate(snapshot, _request("org/gated"), ValidationPolicy(allow_gated=True), NOW)
    assert _errors(allowed) == []
    assert allowed.params is not None


def test_hub_gated_model_without_access_gives_one_clear_error(
    hub: HubModelSource, api: FakeHfApi, hub_repos: dict[str, Path]
) -> None:
    snapshot = hub.snapshot(ModelId("org", "gated-no-access"), "main")
    assert snapshot.gated == "auto"
    assert snapshot.revision == git(hub_repos["tiny"], "rev-parse", "HEAD")
    assert snapshot.unreadable == (
        "org/gated-no-access is gated and the operator's Hub token has no access to its files"
    )
    assert "config.json" in snapshot.files and snapshot.config is None
    assert api.downloads == [] and api.header_reads == []

    allowed = validate(
        snapshot, _request("org/gated-no-access"), ValidationPolicy(allow_gated=True), NOW
    )
    assert _errors(allowed) == [("source", snapshot.unreadable)]
    assert "token" in allowed.findings[0].hint
    refused = validate(snapshot, _request("org/gated-no-access"), ValidationPolicy(), NOW)
    assert [f.check for f in refused.errors] == ["public"]


def test_hub_unknown_repository_is_model_not_found(hub: HubModelSource) -> None:
    for call in (hub.snapshot, hub.resolve):
        with pytest.raises(ModelNotFoundError) as info:
            call(ModelId("org", "missing"), "main")
        assert "org/missing does not exist on the Hub" in info.value.message
        assert info.value.hint
        assert isinstance(info.value.__cause__, hub_errors.RepositoryNotFoundError)


@pytest.mark.parametrize("revision", ["nope", "v9", "0" * 40, "main..other"])
def test_hub_unknown_revision_is_revision_not_found(hub: HubModelSource, revision: str) -> None:
    with pytest.raises(RevisionNotFoundError) as info:
        hub.snapshot(ModelId("org", "tiny"), revision)
    assert repr(revision) in info.value.message
    assert isinstance(info.value.__cause__, hub_errors.RevisionNotFoundError)


def test_hub_hostile_safetensors_header_is_refused(
    hub: HubModelSource, api: FakeHfApi, hub_repos: dict[str, Path], tmp_path: Path
) -> None:
    snapshot = hub.snapshot(ModelId("org", "hostile"), "main", probe=False)
    expected = (
        "model.safetensors: tensors 'model.layers.0.self_attn.q_proj.weight' and "
        "'model.layers.1.self_attn.q_proj.weight' overlap "
        "(re-save the weights with the safetensors library)"
    )
    assert snapshot.safetensors_errors == {"model.safetensors": expected}
    assert snapshot.param_count is None
    verdict = validate(snapshot, _request("org/hostile"), ValidationPolicy(), NOW)
    assert _errors(verdict) == [("safetensors_header", expected)]
    assert "model.safetensors" not in api.downloaded("org/hostile")
    # The local source reads the same bytes and comes to the same finding.
    local_snapshot = _local_snapshot(hub_repos["hostile"], tmp_path)
    assert local_snapshot.safetensors_errors == {"model.safetensors": expected}


def _local_snapshot(repo: Path, tmp_path: Path) -> ModelSnapshot:
    """The same git repository read by the local source (`<root>/<org>/<name>`)."""
    local = LocalModelSource(repo.parent.parent, tmp_path / "checkouts")
    return local.snapshot(ModelId(repo.parent.name, repo.name), "main", probe=False)


def test_hub_refuses_truncated_weights_like_the_local_source(
    hub: HubModelSource, hub_repos: dict[str, Path], tmp_path: Path
) -> None:
    local_snapshot = _local_snapshot(hub_repos["truncated"], tmp_path)
    assert list(local_snapshot.safetensors_errors) == ["model.safetensors"]
    assert "runs past the end of the file" in local_snapshot.safetensors_errors["model.safetensors"]
    snapshot = hub.snapshot(ModelId("org", "truncated"), "main", probe=False)
    assert snapshot.safetensors_errors == local_snapshot.safetensors_errors


def test_hub_sharded_model_reads_every_shard_header(
    hub: HubModelSource, api: FakeHfApi, tiny_params: int
) -> None:
    snapshot = hub.snapshot(ModelId("org", "sharded"), "main")
    shards = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    assert sorted(snapshot.safetensors) == shards
    assert snapshot.safetensors_index is not None
    assert snapshot.param_count == tiny_params
    assert sorted(d.filename for d in api.header_reads) == shards
    assert not any(name.endswith(".safetensors") for name in api.downloaded("org/sharded"))
    verdict = validate(snapshot, _request("org/sharded"), ValidationPolicy(), NOW)
    assert _errors(verdict) == []


def test_hub_checkout_downloads_the_pinned_commit_without_pickles(
    api: FakeHfApi, hub_repos: dict[str, Path], tmp_path: Path
) -> None:
    hub = HubModelSource(api, tmp_path / "hf-cache")
    model = ModelId("org", "pickled")
    sha, _ = hub.resolve(model, "main")
    folder = hub.checkout(model, sha)

    assert folder == tmp_path / "hf-cache" / "models--org--pickled" / "snapshots" / sha
    tree = git_tree(hub_repos["pickled"], sha)
    assert {"pytorch_model.bin", "optimizer.pt"} <= set(tree)
    expected = sorted(p for p in tree if not p.endswith((".bin", ".pt")))
    assert sorted(p.name for p in folder.iterdir()) == expected
    assert api.downloaded("org/pickled") == set(expected)
    assert (folder / "model.safetensors").read_bytes() == (
        hub_repos["pickled"] / "model.safetensors"
    ).read_bytes()
    assert (folder / "model.safetensors").is_symlink()
    # What the Hub source downloaded is a cache the offline cache source reads as it is.
    cached = HfCacheModelSource(tmp_path / "hf-cache")
    assert cached.checkout(model, sha) == folder
    assert cached.snapshot(model, sha, probe=False).files == {
        p: s for p, (_, s) in tree.items() if p in expected
    }


def test_hub_outage_is_a_source_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The real HfApi with the Hub unreachable: offline mode makes every call fail before I/O."""
    from huggingface_hub import HfApi

    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)  # no request leaves this machine
    hub = HubModelSource(HfApi(token=False), tmp_path / "hf-cache")
    with pytest.raises(SourceError) as info:
        hub.snapshot(ModelId("org", "tiny"), "main")
    assert "org/tiny" in info.value.message


# --------------------------------------------------------------------------------------------
# HfCacheModelSource, on a cache in the real layout
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CachedModel:
    cache: Path
    repo: Path
    first: str  # cached, not main
    main: str  # cached, refs/main
    uncached: str  # a real commit that was never downloaded


@pytest.fixture(scope="module")
def cached(model_library: Path, tmp_path_factory: pytest.TempPathFactory) -> CachedModel:
    root = tmp_path_factory.mktemp("hfcache")
    repo = _copy_repo(model_library, root / "git" / "model")
    first = git(repo, "rev-parse", "HEAD")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nSecond revision.\n")
    main = commit_all(repo, "second card")
    (repo / "README.md").write_text((repo / "README.md").read_text() + "\nThird revision.\n")
    uncached = commit_all(repo, "third card, never downloaded")

    cache = root / "cache"
    for sha in (first, main):
        for path in git_tree(repo, sha):
            cache_file(cache, "org/model", repo, sha, path)
    cache_ref(cache, "org/model", "main", main)
    # A file beside refs/ that a "../" revision would reach if it were followed.
    (storage_folder(cache, "org/model") / "escape").write_text(first)
    return CachedModel(cache=cache, repo=repo, first=first, main=main, uncached=uncached)


@pytest.fixture
def hfcache(cached: CachedModel) -> HfCacheModelSource:
    return HfCacheModelSource(cached.cache)


MODEL = ModelId("org", "model")


def test_cache_layout_is_one_huggingface_hub_recognizes(
    cached: CachedModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hub_constants, "HF_HUB_OFFLINE", True)
    info = scan_cache_dir(cached.cache)
    assert info.warnings == []
    (repo,) = info.repos
    assert (repo.repo_id, repo.repo_type) == ("org/model", "model")
    assert {r.commit_hash for r in repo.revisions} == {cached.first, cached.main}
    assert {r.commit_hash: set(r.refs) for r in repo.revisions} == {
        cached.first: set(),
        cached.main: {"main"},
    }
    # Both snapshots share the blobs whose content did not change.
    assert repo.nb_files == len(git_tree(cached.repo, cached.main)) + 1
    snapshot_folder = storage_folder(cached.cache, "org/model") / "snapshots" / cached.main
    assert try_to_load_from_cache("org/model", "config.json", cache_dir=cached.cache) == str(
        snapshot_folder / "config.json"
    )
    assert snapshot_download("org/model", cache_dir=cached.cache, local_files_only=True) == str(
        snapshot_folder
    )


def test_cache_resolves_main_full_and_unique_short_shas(
    hfcache: HfCacheModelSource, cached: CachedModel
) -> None:
    short = next(
        cached.first[:n] for n in range(7, 41) if not cached.main.startswith(cached.first[:n])
    )
    assert hfcache.resolve(MODEL, "main") == (cached.main, PinKind.GIT_COMMIT)
    assert hfcache.resolve(MODEL, cached.first) == (cached.first, PinKind.GIT_COMMIT)
    assert hfcache.resolve(MODEL, short) == (cached.first, PinKind.GIT_COMMIT)


def test_cache_refuses_an_ambiguous_short_sha(cached: CachedModel, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    shutil.copytree(cached.cache, cache, symlinks=True)
    twin = cached.first[:10] + ("0" if cached.first[10] != "0" else "1") + cached.first[11:]
    (storage_folder(cache, "org/model") / "snapshots" / twin).mkdir()
    source = HfCacheModelSource(cache)
    assert source.resolve(MODEL, cached.first[:11]) == (cached.first, PinKind.GIT_COMMIT)
    with pytest.raises(RevisionNotFoundError):
        source.resolve(MODEL, cached.first[:10])


@pytest.mark.parametrize(
    "revision",
    ["nope", "../escape", "../../models--org--model/escape", "refs/../escape", "main/../../escape",
     "/etc/passwd", "-h", "deadbeef", "main\n"],
)  # fmt: skip
def test_cache_refuses_unknown_and_hostile_revisions(
    hfcache: HfCacheModelSource, revision: str
) -> None:
    with pytest.raises(RevisionNotFoundError) as info:
        hfcache.resolve(MODEL, revision)
    assert info.value.hint


def test_cache_names_the_cached_commits_when_a_revision_was_never_downloaded(
    hfcache: HfCacheModelSource, cached: CachedModel
) -> None:
    with pytest.raises(RevisionNotFoundError) as info:
        hfcache.snapshot(MODEL, cached.uncached)
    assert cached.first[:12] in info.value.message and cached.main[:12] in info.value.message
    assert "hf download" in info.value.hint


def test_cache_missing_model_names_the_folder_it_expects(
    hfcache: HfCacheModelSource, cached: CachedModel
) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        hfcache.snapshot(ModelId("org", "missing"), "main")
    assert str(cached.cache) in info.value.message
    assert "models--org--missing" in info.value.hint
    assert "hf download org/missing" in info.value.hint


def test_cache_snapshot_is_accepted_and_counts_like_the_local_source(
    hfcache: HfCacheModelSource, cached: CachedModel, tiny_params: int
) -> None:
    snapshot: ModelSnapshot = hfcache.snapshot(MODEL, "main")
    assert (snapshot.requested_revision, snapshot.revision, snapshot.pin) == (
        "main", cached.main, PinKind.GIT_COMMIT
    )  # fmt: skip
    assert snapshot.files == {p: s for p, (_, s) in git_tree(cached.repo, cached.main).items()}
    assert snapshot.card is not None and "Second revision." in snapshot.card
    assert snapshot.param_count == tiny_params
    assert snapshot.probe is not None and snapshot.probe.tokenizer_error is None
    verdict = validate(snapshot, _request("org/model"), ValidationPolicy(), NOW)
    assert _errors(verdict) == []
    assert verdict.params == tiny_params and verdict.revision == cached.main
    older = hfcache.snapshot(MODEL, cached.first, probe=False)
    assert older.card is not None and "Second revision." not in older.card


def test_cache_checkout_is_the_snapshot_folder(
    hfcache: HfCacheModelSource, cached: CachedModel
) -> None:
    folder = hfcache.checkout(MODEL, "main")
    assert folder == cached.cache / "models--org--model" / "snapshots" / cached.main
    weights = folder / "model.safetensors"
    assert weights.is_symlink()
    assert weights.resolve().parent == (cached.cache / "models--org--model" / "blobs").resolve()
    assert weights.read_bytes() == _git_bytes(
        cached.repo, "cat-file", "blob", f"{cached.main}:model.safetensors"
    )
