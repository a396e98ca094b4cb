from pathlib import Path
from typing import Protocol

from openboard.domain import ModelId, PinKind
from openboard.sources._snapshot import ModelSnapshot


class ModelSource(Protocol):
    """Where models come from: pin a revision, describe it without weights, and hand over its files."""

    def resolve(self, model_id: ModelId, revision: str) -> tuple[str, PinKind]: ...

    def snapshot(
        self, model_id: ModelId, revision: str, *, probe: bool = True
    ) -> ModelSnapshot: ...

    def checkout(self, model_id: ModelId, revision: str) -> Path: ...
