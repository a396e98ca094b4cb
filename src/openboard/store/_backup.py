"""Database copies for backups: SQLite's online backup API, PostgreSQL's pg_dump and pg_restore.

Only this module knows how each database is copied; the archive around it lives in `openboard.backup`.
"""

import os
import shutil
import sqlite3
import subprocess
from pathlib import Path
from typing import Literal

from sqlalchemy import Engine, create_engine, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import NullPool

from openboard.store._engine import reader_of
from openboard.store._errors import StoreError
from openboard.store._migrate import current_revision, known_revisions

DatabaseKind = Literal["sqlite", "postgresql"]

__all__ = [
    "BackupError",
    "DatabaseKind",
    "database_kind",
    "dump_database",
    "has_data",
    "known_revisions",
    "restore_database",
    "schema_revision",
]


class BackupError(StoreError):
    """A database could not be copied out or back in."""


def database_kind(url: str) -> DatabaseKind:
    backend = make_url(url).get_backend_name()
    if backend == "sqlite":
        return "sqlite"
    if backend == "postgresql":
        return "postgresql"
    raise BackupError(
        f"openboard cannot back up a {backend} database",
        "use SQLite or PostgreSQL (OPENBOARD_DATABASE_URL)",
    )


def schema_revision(engine: Engine) -> str | None:
    """The database's schema revision, read without waiting for a writer's lock."""
    return current_revision(reader_of(engine))


def dump_database(engine: Engine, dest: Path) -> None:
    """Write a consistent copy of the database to `dest` while other processes keep using it."""
    if database_kind(engine.url.render_as_string(hide_password=False)) == "sqlite":
        _sqlite_backup(engine, dest)
    else:
        _pg_run("pg_dump", engine.url, ["--format=custom", "--no-owner", f"--file={dest}"])


def restore_database(url: str, source: Path) -> None:
    """Replace the (empty) database at `url` with the copy in `source`."""
    parsed = make_url(url)
    if database_kind(url) == "sqlite":
        target = Path(parsed.database or "")
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError("cannot restore into an in-memory SQLite database", "set a file path")
        target.parent.mkdir(parents=True, exist_ok=True)
        for stale in (target, Path(f"{target}-wal"), Path(f"{target}-shm")):
            stale.unlink(missing_ok=True)
        # Through the backup API, not a file copy: the result is a clean, checkpointed database.
        src, dst = sqlite3.connect(source), sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        return
    # The target holds no data (the caller checked): its schema, possibly made by `openboard init`
    # at a newer revision than the dump's, is dropped whole so that the dump's schema comes back
    # as it was (pg_restore --clean cannot drop what the dump does not know, such as newer tables).
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    _pg_run(
        "pg_restore", parsed, ["--no-owner", "--single-transaction", "--exit-on-error", str(source)]
    )


def has_data(engine: Engine) -> bool:
    """Whether the database holds anything a restore would overwrite (requests or accounts)."""
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as connection:
        return any(
            connection.execute(text(f"SELECT 1 FROM {table} LIMIT 1")).first() is not None  # noqa: S608 (fixed names)
            for table in ("requests", "users")
            if table in tables
        )


def _sqlite_backup(engine: Engine, dest: Path) -> None:
    raw = engine.raw_connection()
    try:
        source = raw.driver_connection
        assert isinstance(source, sqlite3.Connection)
        copy = sqlite3.connect(dest)
        try:
            source.backup(copy)
        finally:
            copy.close()
    finally:
        raw.close()


def _pg_run(tool: str, url: URL, args: list[str]) -> None:
    executable = shutil.which(tool)
    if executable is None:
        raise BackupError(
            f"{tool} is not installed, and openboard needs it to copy a PostgreSQL database",
            "install PostgreSQL's client programs (Debian: apt-get install postgresql-client) "
            "in the same major version as the server",
        )
    # The password goes by environment, never on the command line where `ps` shows it.
    env = {**os.environ, "PGPASSWORD": url.password or ""} if url.password else dict(os.environ)
    conninfo = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    done = subprocess.run(
        [executable, f"--dbname={conninfo}", *args], env=env, capture_output=True, text=True
    )
    if done.returncode != 0:
        shown = url.render_as_string(hide_password=True)
        raise BackupError(
            f"{tool} failed on {shown}: {done.stderr.strip()[-500:]}",
            "check that the server is reachable and that the client's major version matches it",
        )
