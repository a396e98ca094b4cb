"""openboard prune: what no result and no queued evaluation needs goes after its days; nothing else."""

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from openboard.cli import app
from openboard.cli._context import Context
from openboard.store import Store

from .test_board import add_finished
from .test_store import new_request

NOW = datetime.now(UTC)
OLD = (NOW - timedelta(days=40)).timestamp()


def touch_old(path: Path) -> Path:
    os.utime(path, (OLD, OLD))
    return path


def write(path: Path, size: int = 1000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    return path


def hub_download(cache: Path, repo: str, sha: str) -> Path:
    """One commit of a model in the Hugging Face cache layout (snapshot files link to blobs)."""
    root = cache / f"models--{repo.replace('/', '--')}"
    blob = write(root / "blobs" / f"blob-{sha[:8]}", 5000)
    snapshot = root / "snapshots" / sha
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").symlink_to(Path("../..") / "blobs" / blob.name)
    write(root / "refs" / "main", 0).write_text(sha)
    for path in (blob, snapshot / "model.safetensors", snapshot):
        os.utime(path, (OLD, OLD), follow_symlinks=False)
    return snapshot


def board(store: Store) -> dict[str, int]:
    for name in ("org/hidden-long", "org/visible", "org/deleted", "org/hidden-lately"):
        add_finished(store, name, (10, 20, 30))
    store.add_request(new_request(model="org/queued", revision="c" * 40), actor="alice")
    ids = {r.model: r.id for r in store.list_requests()}
    store.moderation.set_hidden(
        ids["org/hidden-long"], True, "admin", NOW - timedelta(days=40), "spam"
    )
    store.moderation.set_hidden(
        ids["org/hidden-lately"], True, "admin", NOW - timedelta(days=5), "spam"
    )
    store.moderation.delete_request(ids["org/deleted"], "admin", NOW - timedelta(days=40), "asked")
    return ids


def test_prune_removes_only_what_nothing_needs_after_its_days(
    context: Context, cli_env: dict[str, str], tmp_path: Path
) -> None:
    ids = board(context.store)
    settings = context.settings
    runs = {name: settings.artifacts_dir / str(i) for name, i in ids.items()}
    for run in runs.values():
        write(run / "samples.jsonl.gz")
        write(run / "results.json", 10)
    checkouts = settings.checkouts_dir
    queued = touch_old(
        write(checkouts / "org" / "queued" / ("c" * 40) / "model.safetensors").parent
    )
    stale = touch_old(write(checkouts / "org" / "gone" / ("d" * 40) / "model.safetensors").parent)
    fresh = write(checkouts / "org" / "new" / ("e" * 40) / "model.safetensors").parent
    cache = tmp_path / "hub-cache"
    kept_download = hub_download(cache, "org/queued", "c" * 40)
    old_download = hub_download(cache, "org/gone", "d" * 40)
    env = {**cli_env, "OPENBOARD_SOURCE": "hub", "OPENBOARD_HF_CACHE": str(cache)}

    before = sorted(str(p) for p in tmp_path.rglob("*"))
    dry = CliRunner().invoke(app, ["prune", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before
    assert "would free" in dry.output and "4 items" in dry.output

    done = CliRunner().invoke(app, ["prune"], env=env)
    assert done.exit_code == 0, done.output
    assert not (runs["org/hidden-long"] / "samples.jsonl.gz").exists()
    assert (runs["org/hidden-long"] / "results.json").exists()  # the result itself stays
    assert not runs["org/deleted"].exists()
    assert not stale.exists() and not old_download.exists()
    for needed in (
        runs["org/visible"] / "samples.jsonl.gz",  # a current result's samples
        runs["org/hidden-lately"] / "samples.jsonl.gz",  # hidden for 5 of 30 days
        queued,
        kept_download,  # a queued request will read this commit
        fresh,  # exported a moment ago: may be for a claim in flight
    ):
        assert needed.exists(), needed
    assert not list(old_download.parents[1].glob("blobs/*"))  # huggingface_hub freed the blob too
    assert (kept_download / "model.safetensors").read_bytes() == b"x" * 5000

    again = CliRunner().invoke(app, ["prune"], env=env)
    assert "freed 0 B in 0 items" in again.output
