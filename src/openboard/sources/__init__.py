"""Where models come from: local folders and git repositories; safetensors header reading."""

from openboard.domain import PinKind
from openboard.sources._errors import (
    ModelNotFoundError,
    RevisionNotFoundError,
    SourceError,
)
from openboard.sources._local import LocalModelSource
from openboard.sources._probe import LoadProbe, probe_loadability
from openboard.sources._safetensors import (
    SafetensorsHeader,
    SafetensorsHeaderError,
    TensorInfo,
    parse_safetensors_header,
    read_safetensors_header,
)
from openboard.sources._snapshot import ModelSnapshot

__all__ = [
    "LoadProbe",
    "LocalModelSource",
    "ModelNotFoundError",
    "ModelSnapshot",
    "PinKind",
    "RevisionNotFoundError",
    "SafetensorsHeader",
    "SafetensorsHeaderError",
    "SourceError",
    "TensorInfo",
    "parse_safetensors_header",
    "probe_loadability",
    "read_safetensors_header",
]
