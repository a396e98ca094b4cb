"""Settings: environment variables `OPENBOARD_*`, then an optional TOML file, then defaults."""

from openboard.config._reference import settings_reference
from openboard.config._settings import Settings, load_settings

__all__ = ["Settings", "load_settings", "settings_reference"]
