"""The reference pages are made from the code: a setting or a route that changes makes them stale."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from openboard.cli import app
from openboard.config import Settings, settings_reference

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.mark.parametrize(
    ("command", "page"), [("config-docs", "configuration.md"), ("api-docs", "api.md")]
)
def test_reference_pages_are_up_to_date(command: str, page: str, cli_env: dict[str, str]) -> None:
    done = CliRunner().invoke(app, ["dev", command, str(DOCS / page), "--check"], env=cli_env)
    assert done.exit_code == 0, (
        f"{done.output} (run `openboard dev {command}` and commit docs/{page})"
    )


def test_every_setting_is_documented_with_its_variable() -> None:
    page = settings_reference()
    for name, field in Settings.model_fields.items():
        assert f"`OPENBOARD_{name.upper()}`" in page
        assert field.description, f"setting {name} has no description"


def test_a_stale_page_is_reported_and_rewritten(tmp_path: Path, cli_env: dict[str, str]) -> None:
    stale = tmp_path / "configuration.md"
    stale.write_text("# old\n")
    checked = CliRunner().invoke(app, ["dev", "config-docs", str(stale), "--check"], env=cli_env)
    assert checked.exit_code == 1 and "stale" in checked.output
    assert CliRunner().invoke(app, ["dev", "config-docs", str(stale)], env=cli_env).exit_code == 0
    assert stale.read_text() == settings_reference()
