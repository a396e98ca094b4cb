"""The wheel and sdist that `python -m build` makes: installed into a fresh virtual environment, they run."""

import os
import subprocess
import sys
import sysconfig
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

from .conftest import POSTGRES_SERVER

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER),
    reason="the package is the same over either database: the SQLite pass builds it",
)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # No build isolation: the build backend comes from this environment, not from a download.
    subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    return out


def test_the_sdist_and_the_wheel_carry_templates_static_files_and_migrations(dist: Path) -> None:
    (wheel,) = dist.glob("openboard-*.whl")
    (sdist,) = dist.glob("openboard-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "openboard/web/templates/leaderboard.html",
        "openboard/web/static/board.js",
        "openboard/store/migrations/script.py.mako",
        "openboard/store/migrations/env.py",
        "openboard/store/migrations/versions/0001_requests_and_events.py",
        "openboard/py.typed",
    ):
        assert needed in names, f"the wheel lacks {needed}"
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {"README.md", "pyproject.toml", "CHANGELOG.md", "src/openboard/cli/_main.py"} <= members


def test_the_wheel_installed_in_a_fresh_environment_inits_and_validates(
    dist: Path, tmp_path: Path, model_library: Path
) -> None:
    (wheel,) = dist.glob("openboard-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    # Nothing of this test run's own paths (PYTHONPATH would show a source tree's egg-info to pip).
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("OPENBOARD_")},
        "PYTHONPATH": "",
        "OPENBOARD_HOME": str(tmp_path / "home"),
        "OPENBOARD_MODELS": str(model_library),
        "HF_HUB_OFFLINE": "1",
    }
    python = env_dir / "bin" / "python"
    # The dependencies (torch, lm-eval, ...) come from this test environment through a .pth file,
    # so that nothing is downloaded; openboard itself must come from the wheel. Paths listed in a .pth
    # are not scanned for .pth files of their own, so this environment's editable install is not seen.
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        check=True, capture_output=True, text=True, env=env,
    )  # fmt: skip
    # Only now: pip would take this environment's openboard for an installed one.
    Path(purelib, "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = run(
        python, "-c", "import openboard; print(openboard.__file__, openboard.__version__)", env=env
    )
    assert where.startswith(purelib), f"openboard was imported from {where}, not from the wheel"
    assert "unknown" not in where

    openboard = env_dir / "bin" / "openboard"
    assert "validate" in run(openboard, "--help", env=env)
    assert "database created" in run(openboard, "init", env=env)
    verdict = run(openboard, "validate", "demo/tiny", "--model-type", "pretrained", env=env)
    assert "accepted" in verdict.lower(), verdict


def run(program: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(program), *args], capture_output=True, text=True, env=env, cwd=program.parents[2]
    )
    assert done.returncode == 0, f"{program.name} {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout
