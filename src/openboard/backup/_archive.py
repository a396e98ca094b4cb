"""One tar archive per backup: `database/`, `artifacts/`, `suites/` and a manifest of checksums.

The manifest is the archive's last member, written once every file's checksum is known, so that a
backup streams each file once. A restore verifies every checksum before anything is moved into place.
"""

import hashlib
import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from openboard import __version__
from openboard.store import Store
from openboard.store._backup import (
    BackupError,
    DatabaseKind,
    database_kind,
    dump_database,
    has_data,
    known_revisions,
    restore_database,
    schema_revision,
)

MANIFEST_NAME = "MANIFEST.json"
FORMAT = "openboard-backup"
FORMAT_VERSION = 1
_DATABASE_FILES: dict[DatabaseKind, str] = {
    "sqlite": "database/openboard.sqlite3",
    "postgresql": "database/openboard.pgdump",
}
# The folders of a home that a backup keeps; models, checkouts, caches and the dataset mirror can be
# fetched again, and the session key is a secret that stays on its machine.
KEPT_FOLDERS = ("artifacts", "suites")

__all__ = [
    "MANIFEST_NAME",
    "BackupManifest",
    "ManifestFile",
    "create_backup",
    "read_manifest",
    "restore_backup",
]


@dataclass(frozen=True, slots=True)
class ManifestFile:
    path: str
    size: int
    sha256: str


@dataclass(frozen=True, slots=True)
class BackupManifest:
    format: str
    format_version: int
    openboard_version: str
    created_at: str
    database_kind: DatabaseKind
    schema_revision: str
    files: tuple[ManifestFile, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, data: str) -> "BackupManifest":
        raw = json.loads(data)
        if raw.get("format") != FORMAT:
            raise BackupError(
                "the archive is not an openboard backup", "pass a file made by openboard backup"
            )
        if raw.get("format_version") != FORMAT_VERSION:
            raise BackupError(
                f"backup format {raw.get('format_version')} is not one this openboard reads ({FORMAT_VERSION})",
                "restore it with the openboard version that made it",
            )
        files = tuple(ManifestFile(**f) for f in raw.pop("files"))
        return cls(**raw, files=files)


def create_backup(
    store: Store, home: Path, dest: Path, clock: Callable[[], datetime],
    progress: Callable[[str], None] = lambda _: None,
) -> BackupManifest:  # fmt: skip
    """Write the database (a consistent online copy) and the kept folders of `home` to `dest`."""
    kind = database_kind(store.engine.url.render_as_string(hide_password=False))
    revision = schema_revision(store.engine)
    if revision is None:
        raise BackupError("the database has no schema yet", "run openboard init first")
    files: list[ManifestFile] = []
    dest.parent.mkdir(parents=True, exist_ok=True)
    partial = dest.with_name(dest.name + ".partial")
    with (
        tempfile.TemporaryDirectory(prefix="openboard-backup-") as scratch,
        tarfile.open(partial, _write_mode(dest)) as archive,
    ):
        dump = Path(scratch) / "database"
        progress("copying the database")
        dump_database(store.engine, dump)
        files.append(_add(archive, dump, _DATABASE_FILES[kind]))
        for name, path in _kept_files(home):
            progress(name)
            files.append(_add(archive, path, name))
        manifest = BackupManifest(
            format=FORMAT, format_version=FORMAT_VERSION, openboard_version=__version__,
            created_at=clock().isoformat(), database_kind=kind, schema_revision=revision,
            files=tuple(files),
        )  # fmt: skip
        _add_bytes(archive, MANIFEST_NAME, manifest.to_json().encode())
    partial.replace(dest)  # a backup cut short never looks like a finished one
    return manifest


def read_manifest(source: Path) -> BackupManifest:
    with tarfile.open(source) as archive:
        member = _member(archive, MANIFEST_NAME)
        stream = archive.extractfile(member)
        assert stream is not None
        return BackupManifest.from_json(stream.read().decode())


def restore_backup(
    store: Store, home: Path, source: Path, progress: Callable[[str], None] = lambda _: None
) -> BackupManifest:
    """Restore `source` into an empty board at `store` and `home`, then upgrade its schema."""
    manifest = read_manifest(source)
    if manifest.schema_revision not in known_revisions():
        raise BackupError(
            f"the backup's database is at schema {manifest.schema_revision}, which this openboard "
            f"({__version__}) does not know: it was made by a newer version",
            "upgrade openboard to the version that made the backup (or newer), then restore",
        )
    kind = database_kind(store.engine.url.render_as_string(hide_password=False))
    if kind != manifest.database_kind:
        raise BackupError(
            f"the backup holds a {manifest.database_kind} database and this board uses {kind}",
            "restore into a board on the same kind of database",
        )
    _refuse_non_empty(store, home)
    home.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=home) as scratch:
        staged = Path(scratch)
        progress("verifying checksums")
        with tarfile.open(source) as archive:
            archive.extractall(staged, filter="data")  # no absolute paths, no links, no devices
        _verify(staged, manifest)
        progress("restoring the database")
        store.engine.dispose()
        restore_database(
            store.engine.url.render_as_string(hide_password=False),
            staged / _DATABASE_FILES[kind],
        )
        for folder in KEPT_FOLDERS:
            if (staged / folder).is_dir():
                shutil.move(staged / folder, home / folder)
    store.engine.dispose()
    store.migrate(home / "artifacts")  # an older schema is brought to this version's head
    return manifest


def _refuse_non_empty(store: Store, home: Path) -> None:
    busy = [f for f in KEPT_FOLDERS if (home / f).is_dir() and any((home / f).iterdir())]
    populated = has_data(store.engine)
    if populated or busy:
        what = ", ".join((["the database"] if populated else []) + [f"{home / f}" for f in busy])
        raise BackupError(
            f"the target board is not empty ({what}); a restore would overwrite it",
            "restore into a new home and database (OPENBOARD_HOME, OPENBOARD_DATABASE_URL), "
            "or move the current ones away first",
        )


def _kept_files(home: Path) -> Iterator[tuple[str, Path]]:
    for folder in KEPT_FOLDERS:
        root = home / folder
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            # Links are not followed: a backup holds what the board wrote, nothing it points at.
            if path.is_file() and not path.is_symlink():
                yield path.relative_to(home).as_posix(), path


def _add(archive: tarfile.TarFile, path: Path, name: str) -> ManifestFile:
    checksum = _sha256(path)
    info = archive.gettarinfo(str(path), arcname=name)
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    with path.open("rb") as stream:
        archive.addfile(info, stream)
    return ManifestFile(path=name, size=info.size, sha256=checksum)


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    archive.addfile(info, io.BytesIO(data))


def _verify(staged: Path, manifest: BackupManifest) -> None:
    for entry in manifest.files:
        path = staged / entry.path
        if not path.is_file():
            raise BackupError(
                f"the backup lacks {entry.path}", "the archive is incomplete: use another backup"
            )
        if _sha256(path) != entry.sha256:
            raise BackupError(
                f"{entry.path} in the backup does not match its checksum",
                "the archive is damaged: use another copy of it",
            )


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _member(archive: tarfile.TarFile, name: str) -> tarfile.TarInfo:
    try:
        return archive.getmember(name)
    except KeyError:
        raise BackupError(
            f"the archive has no {name}", "pass a file made by openboard backup"
        ) from None


def _write_mode(dest: Path) -> Literal["w:gz", "w"]:
    return "w:gz" if dest.name.endswith((".tar.gz", ".tgz")) else "w"
