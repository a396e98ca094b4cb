import json
import shutil
import struct
from pathlib import Path

import pytest

from openboard.demo._git import commit_all
from openboard.domain import ModelId, PinKind
from openboard.sources import (
    LocalModelSource,
    ModelNotFoundError,
    RevisionNotFoundError,
    SourceError,
)
from openboard.sources._local import fingerprint_folder

from .conftest import POSTGRES_SERVER, git

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


@pytest.fixture
def repo(tmp_path: Path, model_library: Path) -> Path:
    target = tmp_path / "models" / "org" / "model"
    shutil.copytree(model_library / "demo" / "tiny", target)
    return target


@pytest.fixture
def source(tmp_path: Path, repo: Path) -> LocalModelSource:
    return LocalModelSource(tmp_path / "models", tmp_path / "checkouts")


MODEL = ModelId("org", "model")


def test_branch_tag_short_and_full_sha_resolve_to_the_commit(
    repo: Path, source: LocalModelSource
) -> None:
    sha = git(repo, "rev-parse", "HEAD")
    git(repo, "tag", "v1")
    for revision in ("main", "v1", sha[:8], sha):
        assert source.resolve(MODEL, revision) == (sha, PinKind.GIT_COMMIT)


@pytest.mark.parametrize("revision", ["nope", "-h", "--output=/tmp/x", "main..other", "a b"])
def test_unknown_or_hostile_revisions_are_refused(source: LocalModelSource, revision: str) -> None:
    with pytest.raises(RevisionNotFoundError) as info:
        source.resolve(MODEL, revision)
    assert info.value.hint


def test_unknown_model_names_where_to_put_it(source: LocalModelSource, tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError) as info:
        source.folder(ModelId("org", "missing"))
    assert str(tmp_path / "models" / "org" / "missing") in info.value.hint


def test_snapshot_reads_metadata_and_headers_at_the_commit(
    repo: Path, source: LocalModelSource
) -> None:
    old = git(repo, "rev-parse", "HEAD")
    config = json.loads((repo / "config.json").read_text())
    config["num_hidden_layers"] = 7
    (repo / "config.json").write_text(json.dumps(config))
    commit_all(repo, "change config")
    snapshot = source.snapshot(MODEL, old, probe=False)
    assert snapshot.revision == old
    assert snapshot.config is not None and snapshot.config["num_hidden_layers"] == 2
    assert snapshot.param_count and snapshot.param_count > 0
    assert snapshot.architectures == ["LlamaForCausalLM"]
    assert snapshot.chat_template is not None
    assert snapshot.card and "license: apache-2.0" in snapshot.card


def test_checkout_holds_exactly_the_pinned_commit(repo: Path, source: LocalModelSource) -> None:
    pinned = git(repo, "rev-parse", "HEAD")
    weights_at_pin = (repo / "model.safetensors").read_bytes()
    (repo / "model.safetensors").write_bytes(weights_at_pin[:-4] + b"\x01\x02\x03\x04")
    commit_all(repo, "new weights")
    folder = source.checkout(MODEL, pinned)
    assert (folder / "model.safetensors").read_bytes() == weights_at_pin
    assert not (folder / ".git").exists()
    assert source.checkout(MODEL, pinned) == folder  # reused, not exported twice


def _write_sparse_safetensors(path: Path, data_bytes: int) -> None:
    header = json.dumps(
        {"w": {"dtype": "U8", "shape": [data_bytes], "data_offsets": [0, data_bytes]}}
    ).encode()
    with path.open("wb") as stream:
        stream.write(struct.pack("<Q", len(header)) + header)
        stream.truncate(8 + len(header) + data_bytes)  # sparse: no bytes written to disk


def test_plain_folder_fingerprint_ignores_weight_bytes(tmp_path: Path) -> None:
    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    weights = folder / "model.safetensors"
    _write_sparse_safetensors(weights, 200 * 1024**3)  # a 200 GB checkpoint
    first = fingerprint_folder(folder)
    with weights.open(
        "r+b"
    ) as stream:  # change a weight byte deep inside: same names, sizes, header
        stream.seek(100 * 1024**3)
        stream.write(b"\x07")
    assert fingerprint_folder(folder) == first
    (folder / "config.json").write_text('{"x": 1}')
    assert fingerprint_folder(folder) != first


def test_plain_folder_pins_to_its_fingerprint_and_notices_changes(
    tmp_path: Path, model_library: Path
) -> None:
    root = tmp_path / "models"
    shutil.copytree(model_library / "demo" / "plain", root / "org" / "plain")
    source = LocalModelSource(root, tmp_path / "checkouts")
    revision, pin = source.resolve(ModelId("org", "plain"), "main")
    assert pin is PinKind.FINGERPRINT and len(revision) == 64
    assert source.checkout(ModelId("org", "plain"), revision) == root / "org" / "plain"
    (root / "org" / "plain" / "README.md").write_text("changed")
    with pytest.raises(SourceError, match="changed since it was submitted"):
        source.checkout(ModelId("org", "plain"), revision)
    with pytest.raises(RevisionNotFoundError, match="no branches"):
        source.resolve(ModelId("org", "plain"), "dev")
