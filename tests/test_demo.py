"""The demo commands' output is openboard's own: no progress bars from the libraries they call."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from openboard.cli import app

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


def test_make_model_prints_its_own_lines_only(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["dev", "make-model", "org/quiet", "--seed", "3"], env=cli_env)
    assert result.exit_code == 0, result.output
    folder = Path(cli_env["OPENBOARD_MODELS"]) / "org" / "quiet"
    assert (folder / "model.safetensors").is_file()
    (line,) = result.output.splitlines()  # stdout and stderr together, as a terminal shows them
    assert line.startswith(f"wrote org/quiet at {folder} (commit ") and line.endswith(")")
    assert "Writing model shards" not in result.output and "it/s" not in result.output
