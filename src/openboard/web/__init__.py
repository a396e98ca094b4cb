"""The web leaderboard: server-rendered pages, each with a JSON twin."""

from openboard.web._api_reference import api_reference
from openboard.web._app import create_app
from openboard.web._leaderboard import WholeBoard, view_of
from openboard.web._oidc import OidcConfig
from openboard.web._operations import MetricsSettings
from openboard.web._requests import request_detail
from openboard.web._security import Limits
from openboard.web._views import history_records, queue_payload, request_record
from openboard.web._webhooks import delivery_record, webhook_record

__all__ = [
    "Limits",
    "MetricsSettings",
    "OidcConfig",
    "WholeBoard",
    "api_reference",
    "create_app",
    "delivery_record",
    "history_records",
    "queue_payload",
    "request_detail",
    "request_record",
    "view_of",
    "webhook_record",
]
