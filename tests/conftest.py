import atexit
import inspect
import json
import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

# Before anything imports huggingface_hub, which reads these once: no test may reach the network.
os.environ.update({"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
# Nothing of the user's home: Hugging Face caches (hub, datasets) in a folder of this run's own, and
# git without the user's or the system's configuration (a signing hook or template would break it).
os.environ["HF_HOME"] = tempfile.mkdtemp(prefix="openboard-tests-hf-")
os.environ.update({"HF_HUB_CACHE": os.path.join(os.environ["HF_HOME"], "hub"),
                   "HF_DATASETS_CACHE": os.path.join(os.environ["HF_HOME"], "datasets"),
                   "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"})  # fmt: skip
# torch on one thread, here and in every evaluation child and bench it starts (they inherit it):
# the suite's models are tiny, and on two cores that anything else is also using, a forward pass
# on two threads waits for the busier core (tiny model, batch 8, one generated token: 10-17 ms on
# one thread, 70-220 ms on two, measured here). Both sides of every parity check run alike.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
from hypothesis import HealthCheck, settings
from sqlalchemy import Connection, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from openboard.cli._context import Context
from openboard.config import Settings
from openboard.demo import TinyModelSpec, write_tiny_model
from openboard.demo._git import commit_all
from openboard.store import Store

atexit.register(shutil.rmtree, os.environ["HF_HOME"], ignore_errors=True)

# Hypothesis's timing checks (a deadline per example, generation too slow) say how busy the
# machine is, not whether the code is right: with them, another process on the machine could fail
# a property test (a clean-clone run of the suite failed the too-slow check so). Speed is
# measured in bench/.
settings.register_profile("openboard", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("openboard")


@pytest.fixture(scope="session")
def model_library(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny models built once per session: a good one, and the broken kinds validation must refuse."""
    root = tmp_path_factory.mktemp("models")
    good = root / "demo" / "tiny"
    write_tiny_model(good, TinyModelSpec(seed=1))

    plain = root / "demo" / "plain"
    shutil.copytree(good, plain, ignore=shutil.ignore_patterns(".git"))

    remote = root / "bad" / "remote-code"
    shutil.copytree(good, remote, ignore=shutil.ignore_patterns(".git"))
    config = json.loads((remote / "config.json").read_text())
    config["auto_map"] = {"AutoModelForCausalLM": "modeling_evil.EvilForCausalLM"}
    (remote / "config.json").write_text(json.dumps(config))
    commit_all(remote, "needs remote code")

    pickled = root / "bad" / "pickled"
    shutil.copytree(good, pickled, ignore=shutil.ignore_patterns(".git", "*.safetensors"))
    # Not a real pickle: openboard must refuse on the file name alone, never open it.
    (pickled / "pytorch_model.bin").write_bytes(b"not a pickle; must never be loaded")
    commit_all(pickled, "pickled weights only")
    return root


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords hashed at argon2-cffi's CHEAPEST profile (its own, made for tests) in this
    process: production's RFC 9106 parameters (64 MiB, 3 passes) cost a second a hash on CI, and
    a test site makes three users. Checks still run real argon2 on the stored hash, whose own
    parameters it reads; test_security checks that production hashes at full strength."""
    from argon2 import PasswordHasher, profiles

    from openboard.accounts import _service

    monkeypatch.setattr(
        _service, "PasswordHasher", lambda: PasswordHasher.from_parameters(profiles.CHEAPEST)
    )


# The suite runs on SQLite by default; `.ci/run` runs it again with this set to a PostgreSQL
# server (postgresql+psycopg://user@host:port/postgres), where each test gets its own database.
POSTGRES_SERVER = os.environ.get("OPENBOARD_TEST_POSTGRES", "")


@pytest.fixture
def database_url(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A copy of `migrated_template` for a test that runs openboard on `settings` (`context`,
    `cli_env`: the CLI would otherwise migrate an empty database first, 1-2 s a test) or that asks
    for `migrated_template` beside it; an empty database for the rest and wherever the test itself
    asks for `database_url` by name (the migration tests start there)."""
    uses = set(request.fixturenames)
    asks_by_name = "database_url" in inspect.signature(request.function).parameters
    migrated = bool(uses & {"settings", "migrated_template"}) and not asks_by_name
    template = request.getfixturevalue("migrated_template") if migrated else None
    with database(tmp_path / "home", template) as url:
        yield url


@contextmanager
def database(folder: Path, template: str | None = None) -> Iterator[str]:
    """A database of the pass's kind (SQLite file in `folder`, or its own PostgreSQL database),
    empty or a copy of `template` (a `migrated_template`); dropped afterwards on PostgreSQL."""
    if not POSTGRES_SERVER:
        path = folder / "openboard.db"
        if template is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with (
                closing(sqlite3.connect(template)) as source,
                closing(sqlite3.connect(path)) as target,
            ):
                source.backup(target)
        yield f"sqlite:///{path}"
        return
    from uuid import uuid4

    name = f"openboard_test_{uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template is not None else ""
    with _postgres_admin() as admin:
        admin.exec_driver_sql(f'CREATE DATABASE "{name}"{copy}')
    try:
        yield make_url(POSTGRES_SERVER).set(database=name).render_as_string(hide_password=False)
    finally:
        with _postgres_admin() as admin:
            admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def settings(tmp_path: Path, model_library: Path, database_url: str) -> Settings:
    return Settings(
        home=tmp_path / "home",
        models=model_library,
        eval_batch_size="8",
        database_url=database_url,
        # A search's deadline is wall time: on a machine busy with other work, a tiny search can
        # pass the default 2 s. Only the tests of the deadline set a short one (their own Store).
        search_deadline_seconds=600,
    )


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database brought to the newest schema by the real migrations once per session; each
    test on `settings` starts from a copy of it (made by `database_url`). Migrating took 1-2 s per
    test (SQLite-PostgreSQL), minutes of every pass; the migrations themselves are tested from
    scratch in test_store and test_score_migration, and `context` still runs `migrate()`, which
    must find nothing to do."""
    if not POSTGRES_SERVER:
        path = tmp_path_factory.mktemp("template") / "openboard.db"
        store = Store.open(f"sqlite:///{path}")
        store.migrate()
        store.engine.dispose()
        yield str(path)
        return
    from uuid import uuid4

    name = f"openboard_template_{uuid4().hex[:12]}"
    with _postgres_admin() as admin:
        admin.exec_driver_sql(f'CREATE DATABASE "{name}"')
    store = Store.open(make_url(POSTGRES_SERVER).set(database=name).render_as_string(False))
    store.migrate()
    store.engine.dispose()  # CREATE DATABASE ... TEMPLATE needs it without connections
    yield name
    with _postgres_admin() as admin:
        admin.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _postgres_admin() -> Iterator[Connection]:
    engine = create_engine(POSTGRES_SERVER, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        with engine.connect() as conn:
            yield conn
    finally:
        engine.dispose()


@pytest.fixture
def context(settings: Settings) -> Iterator[Context]:
    ctx = Context.open(settings)
    ctx.store.migrate()
    yield ctx
    ctx.store.engine.dispose()


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    assert settings.models is not None
    return {
        "OPENBOARD_HOME": str(settings.home),
        "OPENBOARD_MODELS": str(settings.models),
        "OPENBOARD_EVAL_BATCH_SIZE": settings.batch_size,
        "OPENBOARD_DATABASE_URL": settings.database_url,
    }


# CI's machine has no git identity: a commit made by a test names its own.
_GIT_IDENTITY = ["-c", "user.name=openboard-tests", "-c", "user.email=tests@localhost"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *_GIT_IDENTITY, *args],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


SHARED_DATA = Path(
    os.environ.get("OPENBOARD_TEST_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")
)


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real v2 benchmark data staged beside the repository (never copied into it)."""
    if not (SHARED_DATA / "README.md").is_file():
        if os.environ.get("CI"):
            pytest.fail(f"CI must provide the benchmark data at {SHARED_DATA}")
        pytest.skip(f"no benchmark data at {SHARED_DATA} (set OPENBOARD_TEST_DATA)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def v2_home(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An openboard home whose dataset mirror holds the six v2 benchmarks, imported once per session."""
    from openboard.evaluation import import_datasets

    home = tmp_path_factory.mktemp("v2-home")
    settings = Settings(home=home)
    import_datasets(
        shared_data, settings.datasets_dir, settings.tasks_dir, settings.cache_dir / "datasets"
    )
    return home
