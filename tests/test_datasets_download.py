"""`openboard datasets download` against a stand-in Hub, and `--from` a copied mirror.

The Hub cannot be reached from tests, so `FakeDatasetHub` stands in for `huggingface_hub.HfApi`: it
serves the six repositories in their real layouts (BBH and MATH as one parquet file per config,
MMLU-Pro's `data/*.parquet`, GPQA's and MuSR's CSVs, IFEval's JSON Lines), built from the real
benchmark data; answers with the library's own `RepoFile` and `GitCommitInfo`; raises its own
errors; and writes downloads the way `hf_hub_download(local_dir=...)` does, download metadata
included. Everything else is openboard's real code. GPQA's bytes are compared by hash only.
"""

import csv
import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import httpx2
import pyarrow as pa
import pyarrow.parquet as parquet
import pytest
import yaml
from huggingface_hub import errors as hub_errors
from huggingface_hub._local_folder import write_download_metadata
from huggingface_hub.hf_api import GitCommitInfo, RepoFile

from openboard.cli import _datasets as cli_datasets
from openboard.cli import app
from openboard.config import Settings
from openboard.evaluation import (
    V2,
    V2_HUB_DATA,
    HubDataset,
    dataset_provenance,
    dataset_status,
    download_datasets,
    import_datasets,
    write_overrides,
)
from openboard.evaluation._datasets import GPQA_ZIP_PASSWORD, overrides_dir
from openboard.evaluation._mirror_lock import read_lock

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

REPO_ROOT = Path(__file__).resolve().parents[1]
COUNTS = {"bbh": 5761, "gpqa": 448 + 198 + 546, "ifeval": 541, "math": 5000, "mmlu_pro": 12032 + 70, "musr": 756}  # fmt: skip
GOOD_TOKEN = "hf_accepted_gpqa_terms"  # a stand-in token


def _sha(commit: str) -> str:
    return hashlib.sha1(commit.encode(), usedforsecurity=False).hexdigest()


def _response(status: int, url: str) -> httpx2.Response:
    return httpx2.Response(status, request=httpx2.Request("GET", url))


def _parquet(rows: list[dict[str, object]]) -> bytes:
    sink = io.BytesIO()
    parquet.write_table(pa.Table.from_pylist(rows), sink)
    return sink.getvalue()


def _jsonl(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    return [json.loads(line) for line in text.split("\n") if line.strip()]


def _csv(rows: list[dict[str, object]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def hub_layouts(data: Path) -> dict[str, dict[str, bytes]]:
    """Each benchmark's repository files, in the Hub's layout, from the real benchmark data."""
    bbh = {
        f"{p.stem}/test-00000-of-00001.parquet": _parquet(json.loads(p.read_text())["examples"])
        for p in sorted((data / "bbh").glob("*.json"))
    }
    with zipfile.ZipFile(data / "gpqa" / "dataset.zip") as zipped:
        gpqa = {
            f"gpqa_{n}.csv": zipped.read(f"dataset/gpqa_{n}.csv", pwd=GPQA_ZIP_PASSWORD)
            for n in ("main", "diamond", "extended")
        }
    math: dict[str, list[dict[str, object]]] = {}
    for row in _jsonl(data / "math" / "test.jsonl"):
        math.setdefault(str(row["subset"]), []).append(
            {k: row[k] for k in ("problem", "level", "type", "solution")}
        )
    musr = {
        f"{csv_name}.csv": _csv(_jsonl(data / "musr" / f"musr_{split}.jsonl"))
        for split, csv_name in (
            ("murder_mysteries", "murder_mystery"),
            ("object_placements", "object_placements"),
            ("team_allocation", "team_allocation"),
        )
    }
    card = {"README.md": b"---\nlicense: see the dataset page\n---\n"}
    return {
        "bbh": bbh | card,
        "gpqa": gpqa | card | {"license.txt": (data / "gpqa" / "LICENSE.dataset.txt").read_bytes()},
        "ifeval": {"input_data.jsonl": (data / "ifeval" / "input_data.jsonl").read_bytes()} | card,
        "math": {f"{c}/test-00000-of-00001.parquet": _parquet(r) for c, r in math.items()} | card,
        "mmlu_pro": {
            "data/test-00000-of-00001.parquet": _parquet(_jsonl(data / "mmlu_pro" / "test.jsonl")),
            "data/validation-00000-of-00001.parquet": _parquet(
                _jsonl(data / "mmlu_pro" / "validation.jsonl")
            ),
        }
        | card,
        "musr": musr | card,
    }


@dataclass
class FakeDatasetRepo:
    files: dict[str, bytes]
    commits: list[str]  # newest first
    gated: bool = False
    lfs: Callable[[str], bool] = lambda path: not path.endswith((".md", ".jsonl", ".txt"))


@dataclass
class FakeDatasetHub:
    repos: dict[str, FakeDatasetRepo]
    accepted_tokens: set[str] = field(default_factory=set)
    corrupt: set[str] = field(
        default_factory=set
    )  # "repo/path" served with other bytes than listed
    fail_after: int | None = None  # downloads before the connection drops
    downloads: list[tuple[str, str, str]] = field(default_factory=list)  # repo, path, revision
    listed: list[str] = field(default_factory=list)

    def _repo(self, repo_id: str, repo_type: str | None, revision: str | None) -> FakeDatasetRepo:
        assert repo_type == "dataset"
        repo = self.repos[repo_id]
        if revision not in (*repo.commits, "main"):
            url = f"https://huggingface.co/api/datasets/{repo_id}/revision/{revision}"
            raise hub_errors.RevisionNotFoundError(
                f"404 Client Error. Revision Not Found for url: {url}.",
                response=_response(404, url),
            )
        return repo

    def list_repo_tree(
        self,
        repo_id: str,
        path_in_repo: str | None = None,
        *,
        recursive: bool = False,
        revision: str | None = None,
        repo_type: str | None = None,
        token: str | bool | None = None,
    ) -> list[RepoFile]:
        repo = self._repo(repo_id, repo_type, revision)
        self.listed.append(repo_id)
        assert recursive
        entries = []
        for path, content in sorted(repo.files.items()):
            blob = hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False)
            lfs = (
                {
                    "size": len(content),
                    "oid": hashlib.sha256(content).hexdigest(),
                    "pointerSize": 134,
                }
                if repo.lfs(path)
                else None
            )
            entries.append(RepoFile(path=path, size=len(content), oid=blob.hexdigest(), lfs=lfs))
        return entries

    def list_repo_commits(
        self,
        repo_id: str,
        *,
        repo_type: str | None = None,
        token: bool | str | None = None,
        revision: str | None = None,
    ) -> list[GitCommitInfo]:
        repo = self._repo(repo_id, repo_type, revision)
        at = datetime(2024, 6, 12, tzinfo=UTC)
        return [GitCommitInfo(c, ["x"], at, "Upload", "", None, None) for c in repo.commits]

    def hf_hub_download(
        self,
        repo_id: str,
        filename: str,
        *,
        repo_type: str | None = None,
        revision: str | None = None,
        local_dir: str | Path | None = None,
        token: bool | str | None = None,
    ) -> str:
        repo = self._repo(repo_id, repo_type, revision)
        if repo.gated and token not in self.accepted_tokens:
            url = f"https://huggingface.co/datasets/{repo_id}/resolve/{revision}/{filename}"
            raise hub_errors.GatedRepoError(
                f"403 Client Error. Cannot access gated repo for url {url}.",
                response=_response(403, url),
            )
        if self.fail_after is not None and len(self.downloads) >= self.fail_after:
            raise ConnectionError("Connection reset by peer")
        assert revision is not None and len(revision) == 40, "downloads use the full pinned commit"
        assert local_dir is not None
        self.downloads.append((repo_id, filename, revision))
        content = repo.files[filename]
        if f"{repo_id}/{filename}" in self.corrupt:
            content = content[:-1] + bytes([content[-1] ^ 1])
        target = Path(local_dir) / filename
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        listed = repo.files[filename]  # the Hub's etag: sha256 for LFS files, else the git blob id
        blob = hashlib.sha1(b"blob %d\0" % len(listed) + listed, usedforsecurity=False)
        etag = hashlib.sha256(listed).hexdigest() if repo.lfs(filename) else blob.hexdigest()
        write_download_metadata(Path(local_dir), filename, revision, etag)
        return str(target)


@dataclass(frozen=True)
class StandIn:
    layouts: dict[str, dict[str, bytes]]
    pins: tuple[HubDataset, ...]

    def hub(self, **kwargs: object) -> FakeDatasetHub:
        repos = {}
        for pin in self.pins:
            full = _sha(pin.repo_id)
            repos[pin.repo_id] = FakeDatasetRepo(
                files=dict(self.layouts[pin.benchmark]),
                commits=[_sha(pin.repo_id + "-newer"), full, _sha(pin.repo_id + "-older")],
                gated=pin.gated,
            )
        return FakeDatasetHub(repos, **kwargs)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def stand_in(shared_data: Path) -> StandIn:
    """The real pins with the stand-in's commits, and its own checksums where the real table
    publishes one (the stand-in's files are rebuilt, not the Hub's bytes)."""
    layouts = hub_layouts(shared_data)
    pins = []
    for pin in V2_HUB_DATA:
        full = _sha(pin.repo_id)
        published = {p: hashlib.sha256(layouts[pin.benchmark][p]).hexdigest() for p in pin.sha256}
        revision = full if pin.full_revision else full[: len(pin.revision)]
        pins.append(replace(pin, revision=revision, sha256=published))
    return StandIn(layouts, tuple(pins))


def _mirror(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home")


def test_pins_are_full_commits_or_documented_prefixes() -> None:
    docs = (REPO_ROOT / "docs" / "datasets.md").read_text(encoding="utf-8")
    for pin in V2_HUB_DATA:
        assert len(pin.revision) == 40 or pin.revision in docs
        assert all(c in "0123456789abcdef" for c in pin.revision)
        assert f"`{pin.repo_id}`" in docs and f"`{pin.revision}`" in docs, pin.benchmark
        assert all(sha in docs for sha in pin.sha256.values()), pin.benchmark
    assert V2.data == V2_HUB_DATA  # the suite definition carries the pins


def test_download_fetches_the_pinned_commits_and_verifies_every_file(
    stand_in: StandIn, tmp_path: Path
) -> None:
    settings = _mirror(tmp_path)
    hub = stand_in.hub(accepted_tokens={GOOD_TOKEN})
    fetched = download_datasets(hub, stand_in.pins, settings.datasets_dir, GOOD_TOKEN)
    assert [f.problem for f in fetched] == [None] * 6
    lock = read_lock(settings.datasets_dir)
    for pin in stand_in.pins:
        full = _sha(pin.repo_id)
        assert lock[pin.benchmark].revision == full  # a short pin resolved to the full commit
        served = stand_in.layouts[pin.benchmark]
        got = {f.path.removeprefix(f"{pin.benchmark}/").removeprefix(".private/"): f.sha256
               for f in lock[pin.benchmark].files}  # fmt: skip
        assert got == {p: hashlib.sha256(b).hexdigest() for p, b in served.items()}
        assert not lock[pin.benchmark].modified
    assert {rev for _, _, rev in hub.downloads} == {_sha(p.repo_id) for p in stand_in.pins}
    private = settings.datasets_dir / "gpqa" / ".private"
    assert stat.S_IMODE(private.stat().st_mode) == 0o700
    csvs = sorted(private.glob("*.csv"))
    assert len(csvs) == 3 and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in csvs)

    write_overrides(settings.datasets_dir, settings.tasks_dir, settings.cache_dir / "datasets")
    status = {s.benchmark: s for s in dataset_status(settings.datasets_dir)}
    assert {b: s.records for b, s in status.items()} == COUNTS
    assert all(s.available and not s.modified for s in status.values())


def test_hub_layout_overrides_load_the_same_rows_as_the_authors_layout(
    stand_in: StandIn, v2_home: Path, tmp_path: Path
) -> None:
    import datasets

    settings = _mirror(tmp_path)
    download_datasets(
        stand_in.hub(accepted_tokens={GOOD_TOKEN}), stand_in.pins, settings.datasets_dir, GOOD_TOKEN
    )
    write_overrides(settings.datasets_dir, settings.tasks_dir, settings.cache_dir / "datasets")
    hub_dir, authors_dir = (
        overrides_dir(settings.tasks_dir),
        overrides_dir(Settings(home=v2_home).tasks_dir),
    )
    for task in (
        "leaderboard_bbh_navigate",
        "leaderboard_musr_team_allocation",
        "leaderboard_mmlu_pro",
    ):
        rows = []
        for folder in (hub_dir, authors_dir):
            override = yaml.safe_load((folder / f"{task}.yaml").read_text())
            kwargs = override["dataset_kwargs"]
            kwargs["cache_dir"] = str(tmp_path / "hf-cache")
            loaded = datasets.load_dataset(override["dataset_path"], **kwargs)
            rows.append({split: loaded[split].to_list() for split in sorted(loaded)})
        assert rows[0] == rows[1], task


def test_a_checksum_mismatch_fails_that_benchmark_and_keeps_no_bytes(
    stand_in: StandIn, tmp_path: Path
) -> None:
    settings = _mirror(tmp_path)
    hub = stand_in.hub(accepted_tokens={GOOD_TOKEN}, corrupt={"TAUR-Lab/MuSR/team_allocation.csv"})
    wrong = tuple(
        replace(p, sha256={"data/test-00000-of-00001.parquet": "0" * 64})
        if p.benchmark == "mmlu_pro"
        else p
        for p in stand_in.pins
    )
    fetched = {
        f.benchmark: f for f in download_datasets(hub, wrong, settings.datasets_dir, GOOD_TOKEN)
    }
    assert "team_allocation.csv" in (fetched["musr"].problem or "")
    assert "checksum mismatch" in (fetched["musr"].problem or "")
    assert "published" in (fetched["mmlu_pro"].problem or "")  # the Hub agreed with itself
    assert not (settings.datasets_dir / "musr" / "team_allocation.csv").exists()
    assert not (
        settings.datasets_dir / "mmlu_pro" / "data" / "test-00000-of-00001.parquet"
    ).exists()
    assert set(read_lock(settings.datasets_dir)) == {"bbh", "gpqa", "ifeval", "math"}
    assert all(fetched[b].problem is None for b in ("bbh", "gpqa", "ifeval", "math"))


def test_gated_gpqa_without_token_is_one_line_and_the_rest_is_fetched(
    stand_in: StandIn, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = stand_in.hub()
    monkeypatch.delenv("OPENBOARD_HUB_TOKEN", raising=False)
    monkeypatch.setattr(cli_datasets, "hub_api", lambda: hub)
    monkeypatch.setattr(cli_datasets, "V2", replace(V2, data=stand_in.pins))
    from typer.testing import CliRunner

    home = tmp_path / "home"
    result = CliRunner().invoke(app, ["datasets", "download"], env={"OPENBOARD_HOME": str(home)})
    assert result.exit_code == 1, result.output
    gated = [line for line in result.stderr.splitlines() if "gpqa" in line.lower()]
    assert len(gated) == 1 and "https://huggingface.co/datasets/Idavidrein/gpqa" in gated[0]
    assert "OPENBOARD_HUB_TOKEN" in gated[0]
    assert "Idavidrein/gpqa" not in {repo for repo, _, _ in hub.downloads}
    assert set(read_lock(home / "datasets")) == {"bbh", "ifeval", "math", "mmlu_pro", "musr"}


def test_a_token_without_accepted_terms_says_so(stand_in: StandIn, tmp_path: Path) -> None:
    settings = _mirror(tmp_path)
    gpqa = tuple(p for p in stand_in.pins if p.benchmark == "gpqa")
    (fetched,) = download_datasets(stand_in.hub(), gpqa, settings.datasets_dir, "hf_other_account")
    assert fetched.problem is not None and "has not accepted the terms" in fetched.problem
    assert "hf_other_account" not in fetched.problem  # the token's value is never shown
    assert not list((settings.datasets_dir / "gpqa" / ".private").glob("*.csv"))


def test_an_interrupted_download_resumes_where_it_left_off(
    stand_in: StandIn, tmp_path: Path
) -> None:
    settings = _mirror(tmp_path)
    first = stand_in.hub(accepted_tokens={GOOD_TOKEN}, fail_after=20)
    cut = {
        f.benchmark: f
        for f in download_datasets(first, stand_in.pins, settings.datasets_dir, GOOD_TOKEN)
    }
    assert "interrupted" in (cut["bbh"].problem or "") and "again" in (cut["bbh"].problem or "")
    assert len(first.downloads) == 20
    done = {path for _, path, _ in first.downloads}
    truncated = settings.datasets_dir / "bbh" / sorted(done)[0]
    truncated.write_bytes(truncated.read_bytes()[:10])  # a file cut off by a crash

    second = stand_in.hub(accepted_tokens={GOOD_TOKEN})
    again = download_datasets(second, stand_in.pins, settings.datasets_dir, GOOD_TOKEN)
    assert [f.problem for f in again] == [None] * 6
    bbh_again = {path for repo, path, _ in second.downloads if repo == "SaylorTwift/bbh"}
    assert bbh_again == (set(stand_in.layouts["bbh"]) - done) | {sorted(done)[0]}
    assert next(f for f in again if f.benchmark == "bbh").kept == len(done) - 1
    assert set(read_lock(settings.datasets_dir)) == set(COUNTS)


def test_from_a_copied_mirror_keeps_the_commits_and_marks_changed_files(
    stand_in: StandIn, tmp_path: Path
) -> None:
    import shutil

    fetched = _mirror(tmp_path / "connected")
    download_datasets(
        stand_in.hub(accepted_tokens={GOOD_TOKEN}), stand_in.pins, fetched.datasets_dir, GOOD_TOKEN
    )
    carried = tmp_path / "usb"
    shutil.copytree(fetched.datasets_dir, carried)
    edited = carried / "bbh" / "navigate" / "test-00000-of-00001.parquet"
    rows = parquet.read_table(edited).to_pylist()
    rows[0]["target"] = "Yes" if rows[0]["target"] != "Yes" else "No"  # a hand-corrected answer
    parquet.write_table(pa.Table.from_pylist(rows), edited)

    offline = _mirror(tmp_path / "air-gapped")
    result = import_datasets(
        carried, offline.datasets_dir, offline.tasks_dir, offline.cache_dir, sources=stand_in.pins
    )
    assert not result.missing
    assert len(result.warnings) == 1, result.warnings
    (warning,) = result.warnings
    assert "bbh/navigate/test-00000-of-00001.parquet" in warning and "modified data" in warning
    lock = read_lock(offline.datasets_dir)
    assert {b: r.revision for b, r in lock.items()} == {
        p.benchmark: _sha(p.repo_id) for p in stand_in.pins
    }
    status = {s.benchmark: s for s in result.status}
    assert status["bbh"].modified and not status["musr"].modified
    record = dataset_provenance(offline.datasets_dir)
    assert record["modified"] and record["benchmarks"]["bbh"]["differs_from_published"]
    assert not record["benchmarks"]["musr"]["modified"]


def test_from_an_hf_download_folder_reads_the_commit_and_checksums_it_recorded(
    stand_in: StandIn, tmp_path: Path
) -> None:
    fetched = _mirror(tmp_path / "connected")
    download_datasets(
        stand_in.hub(accepted_tokens={GOOD_TOKEN}), stand_in.pins, fetched.datasets_dir, GOOD_TOKEN
    )
    (fetched.datasets_dir / "openboard-datasets.lock.json").unlink()  # as `hf download` leaves it
    offline = _mirror(tmp_path / "air-gapped")
    result = import_datasets(
        fetched.datasets_dir,
        offline.datasets_dir,
        offline.tasks_dir,
        offline.cache_dir,
        sources=stand_in.pins,
    )
    assert result.warnings == []
    lock = read_lock(offline.datasets_dir)
    assert lock["mmlu_pro"].revision == _sha("TIGER-Lab/MMLU-Pro")
    parquet_file = next(
        f for f in lock["mmlu_pro"].files if f.path.endswith("test-00000-of-00001.parquet")
    )
    assert parquet_file.expected_sha256 == parquet_file.sha256


def test_provenance_notices_a_file_changed_after_import(stand_in: StandIn, tmp_path: Path) -> None:
    settings = _mirror(tmp_path)
    download_datasets(
        stand_in.hub(accepted_tokens={GOOD_TOKEN}), stand_in.pins, settings.datasets_dir, GOOD_TOKEN
    )
    assert dataset_provenance(settings.datasets_dir)["modified"] is False
    changed = settings.datasets_dir / "ifeval" / "input_data.jsonl"
    changed.write_bytes(changed.read_bytes().replace(b"words", b"wordz", 1))
    record = dataset_provenance(settings.datasets_dir)
    assert record["modified"] is True
    assert record["benchmarks"]["ifeval"]["changed_since_import"] == ["ifeval/input_data.jsonl"]
