from pathlib import Path

import pytest

from openboard.config import load_settings
from openboard.domain import OpenboardError

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


def test_defaults_derive_from_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENBOARD_CONFIG", raising=False)
    monkeypatch.setenv("OPENBOARD_HOME", str(tmp_path / "h"))
    settings = load_settings()
    assert settings.home == tmp_path / "h"
    assert settings.model_root == tmp_path / "h" / "models"
    assert settings.database_url == f"sqlite:///{tmp_path / 'h' / 'openboard.db'}"
    assert settings.batch_size == "8"  # CPU default


def test_toml_file_is_read_and_environment_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "openboard.toml"
    config.write_text(
        f'home = "{tmp_path / "from-toml"}"\neval_limit = 7\nmodels = "{tmp_path / "m"}"\n'
    )
    monkeypatch.setenv("OPENBOARD_CONFIG", str(config))
    monkeypatch.setenv("OPENBOARD_EVAL_LIMIT", "3")
    monkeypatch.delenv("OPENBOARD_HOME", raising=False)
    settings = load_settings()
    assert settings.home == tmp_path / "from-toml"
    assert settings.model_root == tmp_path / "m"
    assert settings.eval_limit == 3


def test_missing_config_file_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENBOARD_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(OpenboardError, match="not a file"):
        load_settings()


def test_unknown_setting_in_toml_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tmp_path / "openboard.toml"
    config.write_text("evl_limit = 7\n")
    monkeypatch.setenv("OPENBOARD_CONFIG", str(config))
    with pytest.raises(ValueError, match="evl_limit"):
        load_settings()
