"""Symbolic links never lead openboard out of a model's files: not in validation, the card, the
headers, the loading probe, the checkout or the evaluation (issue 21 item 6, issue 17 item 6).

Each model is real files on disk: a plain folder, a git repository, a Hugging Face cache layout.
"""

import hashlib
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from openboard.demo._git import commit_all
from openboard.domain import ModelId, SubmissionRequest, Verdict
from openboard.sources import HfCacheModelSource, LocalModelSource, ModelSnapshot, SourceError
from openboard.sources._local import fingerprint_folder
from openboard.validation import ValidationPolicy, catalogued, validate

from .conftest import POSTGRES_SERVER, git

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

NOW = datetime(2026, 12, 1, tzinfo=UTC)
SECRET = b"---\nlicense: mit\n---\n# secret_key\n" + b"s3cr3t-must-never-be-published " * 20


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    """A readable file elsewhere on the machine (say $OPENBOARD_HOME/secret_key) that happens to
    pass the card checks, and a folder beside it."""
    outside = tmp_path / "elsewhere"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret_key").write_bytes(SECRET)
    (outside / "folder" / "config.json").write_bytes(
        b'{"secret": "s3cr3t-must-never-be-published"}'
    )
    return outside / "secret_key"


def plain_model(model_library: Path, root: Path, name: str) -> Path:
    folder = root / "org" / name
    shutil.copytree(model_library / "demo" / "plain", folder)
    return folder


def source_of(root: Path) -> LocalModelSource:
    def no_probe(_: Path) -> None:
        raise AssertionError("the loading probe ran on a model with a link out of its files")

    return LocalModelSource(root, root / ".checkouts", prober=no_probe)  # type: ignore[arg-type]


def verdict_of(snapshot: ModelSnapshot) -> Verdict:
    request = SubmissionRequest.model_validate(
        {"model": str(snapshot.model_id), "model_type": "pretrained", "sender": "t"}
    )
    verdict = validate(snapshot, request, ValidationPolicy(), NOW)
    assert all(catalogued(f.check) for f in verdict.findings)
    return verdict


def link_findings(verdict: Verdict) -> list[str]:
    return [f.message for f in verdict.findings if f.check == "symlink"]


def assert_secret_nowhere(snapshot: ModelSnapshot, verdict: Verdict) -> None:
    everything = repr(snapshot) + repr(verdict)
    assert "s3cr3t" not in everything


def test_a_card_linked_to_a_file_outside_is_refused_and_never_read(
    model_library: Path, tmp_path: Path, secret: Path
) -> None:
    root = tmp_path / "models"
    folder = plain_model(model_library, root, "card-link")
    (folder / "README.md").unlink(missing_ok=True)
    (folder / "README.md").symlink_to(secret)
    before = fingerprint_folder(folder)
    source = source_of(root)
    snapshot = source.snapshot(ModelId("org", "card-link"), "main")
    verdict = verdict_of(snapshot)
    assert not verdict.accepted
    assert snapshot.card is None and "README.md" not in snapshot.files
    (message,) = link_findings(verdict)
    assert message.startswith("README.md is a symbolic link to ") and str(secret) in message
    assert_secret_nowhere(snapshot, verdict)
    secret.write_bytes(SECRET + b"changed")  # the fingerprint never read through the link
    assert fingerprint_folder(folder) == before
    with pytest.raises(SourceError, match=r"symbolic link README\.md"):
        source.checkout(ModelId("org", "card-link"), snapshot.revision)


def test_weights_linked_outside_are_never_opened(
    model_library: Path, tmp_path: Path, secret: Path
) -> None:
    """The old path opened a linked model.safetensors and put its first bytes in the message."""
    root = tmp_path / "models"
    folder = plain_model(model_library, root, "weights-link")
    (folder / "model.safetensors").unlink()
    (folder / "model.safetensors").symlink_to(secret)
    snapshot = source_of(root).snapshot(ModelId("org", "weights-link"), "main")
    verdict = verdict_of(snapshot)
    assert "model.safetensors" in "".join(link_findings(verdict))
    assert "model.safetensors" not in snapshot.safetensors_errors
    assert_secret_nowhere(snapshot, verdict)


def test_a_folder_linked_outside_is_refused(
    model_library: Path, tmp_path: Path, secret: Path
) -> None:
    root = tmp_path / "models"
    folder = plain_model(model_library, root, "folder-link")
    (folder / "extra").symlink_to(secret.parent / "folder", target_is_directory=True)
    source = source_of(root)
    snapshot = source.snapshot(ModelId("org", "folder-link"), "main")
    assert not any(p.startswith("extra/") for p in snapshot.files)
    (message,) = link_findings(verdict_of(snapshot))
    assert message.startswith("extra is a symbolic link to ")
    with pytest.raises(SourceError, match="symbolic link extra"):
        source.checkout(ModelId("org", "folder-link"), snapshot.revision)


def test_a_link_inside_the_model_is_followed(model_library: Path, tmp_path: Path) -> None:
    root = tmp_path / "models"
    folder = plain_model(model_library, root, "inside-link")
    card = (folder / "README.md").read_bytes()
    (folder / "docs").mkdir()
    (folder / "README.md").rename(folder / "docs" / "card.md")
    (folder / "README.md").symlink_to(Path("docs") / "card.md")
    source = LocalModelSource(root, root / ".checkouts")
    snapshot = source.snapshot(ModelId("org", "inside-link"), "main", probe=False)
    assert snapshot.card == card.decode() and not snapshot.outside_links
    assert not link_findings(verdict_of(snapshot))
    assert source.checkout(ModelId("org", "inside-link"), snapshot.revision) == folder


def test_git_links_out_of_the_tree_are_refused_and_inside_ones_kept(
    model_library: Path, tmp_path: Path, secret: Path
) -> None:
    root = tmp_path / "models"
    repo = root / "org" / "git-links"
    shutil.copytree(model_library / "demo" / "tiny", repo)
    (repo / "docs").mkdir()
    (repo / "docs" / "notes.md").write_text("notes\n")
    (repo / "NOTES.md").symlink_to(Path("docs") / "notes.md")  # inside: fine
    (repo / "docs" / "up.md").symlink_to(Path("..") / "NOTES.md")  # still inside: fine
    (repo / "secret.md").symlink_to(secret)  # absolute, outside
    (repo / "docs" / "escape.md").symlink_to(Path("..") / ".." / ".." / "elsewhere")  # relative
    commit_all(repo, "links")
    source = source_of(root)
    snapshot = source.snapshot(ModelId("org", "git-links"), "main")
    assert sorted(snapshot.outside_links) == ["docs/escape.md", "secret.md"]
    messages = link_findings(verdict_of(snapshot))
    assert [m.split()[0] for m in messages] == ["docs/escape.md", "secret.md"]
    with pytest.raises(SourceError, match=r"symbolic link docs/escape\.md"):
        source.checkout(ModelId("org", "git-links"), snapshot.revision)

    git(repo, "rm", "-q", "secret.md", "docs/escape.md")
    git(repo, "commit", "-q", "-m", "inside links only")
    clean = LocalModelSource(root, root / ".checkouts").snapshot(
        ModelId("org", "git-links"), "main", probe=False
    )
    assert not clean.outside_links and not link_findings(verdict_of(clean))
    checkout = LocalModelSource(root, root / ".checkouts").checkout(
        ModelId("org", "git-links"), clean.revision
    )
    assert (checkout / "NOTES.md").read_text() == "notes\n"


def hf_cache(model_library: Path, cache: Path, sha: str) -> Path:
    """A Hugging Face cache layout as huggingface_hub writes it: the snapshot's files are
    relative links into the repository's blobs."""
    repo = cache / "models--org--cached"
    snapshot = repo / "snapshots" / sha
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(sha)
    for path in (model_library / "demo" / "plain").iterdir():
        if path.is_file():
            blob = hashlib.sha256(path.read_bytes()).hexdigest()
            shutil.copyfile(path, repo / "blobs" / blob)
            (snapshot / path.name).symlink_to(Path("..") / ".." / "blobs" / blob)
    return snapshot


def test_a_hugging_face_cache_layout_is_allowed_and_links_out_of_it_refused(
    model_library: Path, tmp_path: Path, secret: Path
) -> None:
    sha = "c" * 40
    folder = hf_cache(model_library, tmp_path / "hub", sha)
    source = HfCacheModelSource(tmp_path / "hub")
    snapshot = source.snapshot(ModelId("org", "cached"), "main", probe=False)
    assert not snapshot.outside_links and "config.json" in snapshot.files
    assert snapshot.safetensors and not link_findings(verdict_of(snapshot))
    assert source.checkout(ModelId("org", "cached"), "main") == folder

    (folder / "README.md").unlink(missing_ok=True)
    (folder / "README.md").symlink_to(secret)
    hostile = source.snapshot(ModelId("org", "cached"), "main", probe=False)
    verdict = verdict_of(hostile)
    (message,) = link_findings(verdict)
    assert message.startswith("README.md is a symbolic link")
    assert_secret_nowhere(hostile, verdict)
    with pytest.raises(SourceError, match=r"symbolic link README\.md"):
        source.checkout(ModelId("org", "cached"), "main")
