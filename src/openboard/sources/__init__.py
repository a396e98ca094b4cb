"""Where models come from: local folders and git repositories, a Hugging Face cache, the Hub."""

from openboard.domain import PinKind
from openboard.sources._errors import (
    ModelNotFoundError,
    RevisionNotFoundError,
    SourceError,
)
from openboard.sources._factory import build_source
from openboard.sources._hfcache import HfCacheModelSource
from openboard.sources._hub import HubApi, HubClient, HubModelSource
from openboard.sources._local import LocalModelSource
from openboard.sources._probe import LoadProbe, probe_loadability
from openboard.sources._protocol import ModelSource
from openboard.sources._safetensors import (
    SafetensorsHeader,
    SafetensorsHeaderError,
    TensorInfo,
    parse_safetensors_header,
    read_safetensors_header,
)
from openboard.sources._snapshot import ModelSnapshot, Visibility

__all__ = [
    "HfCacheModelSource",
    "HubApi",
    "HubClient",
    "HubModelSource",
    "LoadProbe",
    "LocalModelSource",
    "ModelNotFoundError",
    "ModelSnapshot",
    "ModelSource",
    "PinKind",
    "RevisionNotFoundError",
    "SafetensorsHeader",
    "SafetensorsHeaderError",
    "SourceError",
    "TensorInfo",
    "Visibility",
    "build_source",
    "parse_safetensors_header",
    "probe_loadability",
    "read_safetensors_header",
]
