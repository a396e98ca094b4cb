"""The web leaderboard: server-rendered pages, each with a JSON twin."""

from openboard.web._app import create_app
from openboard.web._oidc import OidcConfig
from openboard.web._operations import MetricsSettings
from openboard.web._security import Limits
from openboard.web._views import LEADERBOARD_SCHEMA_VERSION, leaderboard_payload, queue_payload

__all__ = [
    "LEADERBOARD_SCHEMA_VERSION",
    "Limits",
    "MetricsSettings",
    "OidcConfig",
    "create_app",
    "leaderboard_payload",
    "queue_payload",
]
