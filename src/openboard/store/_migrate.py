from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from openboard.store._engine import reader_of

_SCRIPTS = Path(__file__).parent / "migrations"


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_SCRIPTS))
    return config


HEAD_REVISION: str = ScriptDirectory.from_config(_config()).get_current_head() or ""


def known_revisions() -> frozenset[str]:
    """Every schema revision this version of openboard can migrate from or to."""
    return frozenset(s.revision for s in ScriptDirectory.from_config(_config()).walk_revisions())


def migrate(engine: Engine, revision: str = "head", artifacts_dir: Path | None = None) -> None:
    """Bring the database to `revision` (default: the newest); a no-op when it is already there.
    `artifacts_dir`: the results' files, which a migration may read to fill new columns.

    The check reads first: on SQLite a read never waits for another process's write lock, so a
    command (a worker starting) on a migrated database does not fail while someone holds it."""
    if revision == "head" and current_revision(engine) == HEAD_REVISION:
        return
    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        config.attributes["artifacts_dir"] = artifacts_dir
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    with reader_of(engine).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
