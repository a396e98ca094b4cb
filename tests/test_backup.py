"""openboard backup / restore: a live board copied into an empty home, on SQLite and PostgreSQL."""

import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool
from typer.testing import CliRunner

from openboard.backup import MANIFEST_NAME, create_backup, read_manifest
from openboard.cli import app
from openboard.domain import Role
from openboard.store import HEAD_REVISION, Store, current_revision
from openboard.store._migrate import migrate

from .conftest import POSTGRES_SERVER
from .test_board import add_board_models
from .web_helpers import add_user


@pytest.fixture
def empty_database(tmp_path: Path) -> Iterator[str]:
    """A second, empty database of the kind the suite runs on: the restore's target."""
    if not POSTGRES_SERVER:
        yield f"sqlite:///{tmp_path / 'restored' / 'openboard.db'}"
        return
    admin = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"openboard_restore_{tmp_path.name[-20:].lower().replace('-', '_')}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def live_board(store: Store, home: Path) -> None:
    add_board_models(store)
    add_user(store, "alice", Role.ADMIN)
    run = home / "artifacts" / "1"
    run.mkdir(parents=True)
    (run / "results.json").write_text(json.dumps({"results": {"t": {"acc,none": 0.5}}}))
    (run / "samples.jsonl.gz").write_bytes(bytes(range(256)) * 64)
    (home / "suites").mkdir()
    (home / "suites" / "quick.toml").write_text('name = "quick"\n')


def tables(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url, poolclass=NullPool)
    try:
        names = sorted(inspect(engine).get_table_names())
        with engine.connect() as conn:
            return {
                name: sorted(
                    (tuple(row) for row in conn.execute(text(f'SELECT * FROM "{name}"'))), key=repr
                )
                for name in names
            }
    finally:
        engine.dispose()


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def run(env: dict[str, str], *args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, list(args), env=env)
    return done.exit_code, done.output


def test_a_live_board_restores_into_an_empty_home_table_for_table(
    context: object, cli_env: dict[str, str], tmp_path: Path, empty_database: str
) -> None:
    from openboard.cli._context import Context

    assert isinstance(context, Context)
    home = context.settings.home
    live_board(context.store, home)
    archive = tmp_path / "board.tar.gz"

    # A writer holds a transaction open while the backup runs: the copy is taken all the same, and
    # holds only what was committed.
    writer = context.store.engine.connect()
    pending = writer.begin()
    writer.execute(
        text("INSERT INTO blocklist VALUES ('x/uncommitted', 'r', 'a', CURRENT_TIMESTAMP)")
    )
    code, output = run(cli_env, "backup", str(archive))
    pending.rollback()
    writer.close()
    assert code == 0, output
    manifest = read_manifest(archive)
    assert manifest.schema_revision == HEAD_REVISION
    assert {"artifacts/1/results.json", "artifacts/1/samples.jsonl.gz", "suites/quick.toml"} <= {
        f.path for f in manifest.files
    }

    restored_home = tmp_path / "restored"
    restored_env = {
        **cli_env,
        "OPENBOARD_HOME": str(restored_home),
        "OPENBOARD_DATABASE_URL": empty_database,
    }
    code, output = run(restored_env, "restore", str(archive))
    assert code == 0, output
    assert tables(empty_database) == tables(context.settings.database_url)
    for folder in ("artifacts", "suites"):
        assert files(restored_home / folder) == files(home / folder)

    # Restoring again over the restored board would overwrite it: refused, nothing touched.
    code, output = run(restored_env, "restore", str(archive))
    assert code != 0 and "not empty" in output
    assert tables(empty_database) == tables(context.settings.database_url)


def test_a_damaged_archive_or_a_newer_schema_is_refused(
    context: object, cli_env: dict[str, str], tmp_path: Path, empty_database: str
) -> None:
    from openboard.cli._context import Context

    assert isinstance(context, Context)
    live_board(context.store, context.settings.home)
    archive = tmp_path / "board.tar"
    assert run(cli_env, "backup", str(archive))[0] == 0
    target = {
        **cli_env,
        "OPENBOARD_HOME": str(tmp_path / "t"),
        "OPENBOARD_DATABASE_URL": empty_database,
    }

    damaged = rewrite(archive, tmp_path / "damaged.tar", "artifacts/1/results.json", b"{}")
    code, output = run(target, "restore", str(damaged))
    assert code != 0 and "does not match its checksum" in output

    manifest = json.loads(read_member(archive, MANIFEST_NAME))
    manifest["schema_revision"] = "9999"
    newer = rewrite(archive, tmp_path / "newer.tar", MANIFEST_NAME, json.dumps(manifest).encode())
    code, output = run(target, "restore", str(newer))
    assert code != 0 and "newer version" in output
    assert not (tmp_path / "t" / "artifacts").exists()


def test_an_older_schema_is_upgraded_on_restore(
    database_url: str, cli_env: dict[str, str], tmp_path: Path, empty_database: str
) -> None:
    old = Store.open(database_url)
    migrate(old.engine, "0011")
    old.engine.dispose()
    archive = tmp_path / "old.tar"
    create_backup(Store.open(database_url), Path(cli_env["OPENBOARD_HOME"]), archive, _clock)
    assert read_manifest(archive).schema_revision == "0011"
    target = {
        **cli_env,
        "OPENBOARD_HOME": str(tmp_path / "t"),
        "OPENBOARD_DATABASE_URL": empty_database,
    }
    code, output = run(target, "restore", str(archive))
    assert code == 0, output
    engine = create_engine(empty_database, poolclass=NullPool)
    assert current_revision(engine) == HEAD_REVISION
    engine.dispose()


def _clock() -> datetime:
    return datetime(2026, 12, 1, tzinfo=UTC)


def read_member(archive: Path, name: str) -> bytes:
    with tarfile.open(archive) as tar:
        stream = tar.extractfile(name)
        assert stream is not None
        return stream.read()


def rewrite(archive: Path, dest: Path, name: str, data: bytes) -> Path:
    """A copy of `archive` with one member's bytes replaced (its manifest entry left as it was)."""
    with tarfile.open(archive) as src, tarfile.open(dest, "w") as out:
        for member in src.getmembers():
            body = data if member.name == name else src.extractfile(member).read()  # type: ignore[union-attr]
            member.size = len(body)
            out.addfile(member, io.BytesIO(body))
    return dest
