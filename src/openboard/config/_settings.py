import os
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


class Settings(BaseSettings):
    """Every knob of openboard, read once and passed down (never read from the environment deep in the code)."""

    model_config = SettingsConfigDict(env_prefix="OPENBOARD_", extra="forbid")

    home: Path = Field(default=Path("openboard-data"), description="where openboard keeps its data")
    database_url: str = Field(
        default="", description="SQLAlchemy URL; default: SQLite file openboard.db in the home"
    )
    models: Path | None = Field(
        default=None, description="local model source root; default: <home>/models"
    )
    suite: str = Field(default="starter", description="evaluation suite run by workers")
    eval_limit: int | None = Field(
        default=None, description="evaluate at most this many documents per task (None: all)"
    )
    eval_batch_size: str | None = Field(
        default=None, description="lm-eval batch size; default: auto on a GPU, 8 on the CPU"
    )
    eval_device: str = Field(default="cpu", description="torch device for evaluation")
    seed: int = Field(
        default=1234, description="seed for Python, NumPy, torch and few-shot sampling"
    )
    offline: bool = Field(
        default=True,
        description="evaluate without the Hugging Face Hub (set false to let lm-eval fetch Hub datasets)",
    )
    co2_power_kw: float = Field(
        default=5.6, description="power drawn while evaluating, kW (public site: 8 GPUs at 0.7 kW)"
    )
    co2_grid_g_per_kwh: float = Field(
        default=269.8, description="carbon intensity of the electricity, g CO2 per kWh"
    )

    @model_validator(mode="after")
    def _derive_paths(self) -> "Settings":
        self.home = self.home.expanduser().resolve()
        if self.models is None:
            self.models = self.home / "models"
        self.models = self.models.expanduser().resolve()
        if not self.database_url:
            self.database_url = f"sqlite:///{self.home / 'openboard.db'}"
        return self

    @property
    def model_root(self) -> Path:
        assert self.models is not None  # set by _derive_paths
        return self.models

    @property
    def batch_size(self) -> str:
        # lm-eval's automatic batch-size search costs minutes on a CPU and gains little there.
        if self.eval_batch_size:
            return self.eval_batch_size
        return "8" if self.eval_device == "cpu" else "auto"

    @property
    def artifacts_dir(self) -> Path:
        return self.home / "artifacts"

    @property
    def datasets_dir(self) -> Path:
        return self.home / "datasets"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def nltk_data(self) -> Path:
        return self.home / "nltk_data"

    @property
    def suites_dir(self) -> Path:
        return self.home / "suites"

    @property
    def tasks_dir(self) -> Path:
        return self.home / "tasks"

    @property
    def checkouts_dir(self) -> Path:
        return self.home / "checkouts"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        toml_file = os.environ.get("OPENBOARD_CONFIG")
        if toml_file:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(toml_file)))
        return tuple(sources)


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment and `$OPENBOARD_CONFIG` (a TOML file), with explicit overrides on top."""
    config_file = os.environ.get("OPENBOARD_CONFIG")
    if config_file and not Path(config_file).is_file():
        from openboard.domain import OpenboardError

        raise OpenboardError(
            f"OPENBOARD_CONFIG points at {config_file}, which is not a file",
            "create the TOML file or unset OPENBOARD_CONFIG",
        )
    return Settings(**overrides)
