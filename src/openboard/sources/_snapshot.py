from dataclasses import dataclass, field
from typing import Any

from openboard.domain import ModelId, PinKind
from openboard.sources._probe import LoadProbe
from openboard.sources._safetensors import SafetensorsHeader

PICKLE_SUFFIXES = (".bin", ".pt", ".pth", ".ckpt", ".pkl")


@dataclass(frozen=True, slots=True)
class Visibility:
    """What only a hub knows about a repository."""

    private: bool = False
    gated: str | None = None  # the Hub's gating mode ("auto", "manual"); None when not gated
    likes: int | None = None


PUBLIC = Visibility()


@dataclass(frozen=True)
class ModelSnapshot:
    """Everything validation needs to know about one model at one pinned revision; no weights."""

    model_id: ModelId
    requested_revision: str
    revision: str
    pin: PinKind
    files: dict[str, int]
    config: dict[str, Any] | None = None
    config_error: str | None = None
    tokenizer_config: dict[str, Any] | None = None
    chat_template_file: str | None = None
    card: str | None = None
    safetensors: dict[str, SafetensorsHeader] = field(default_factory=dict)
    safetensors_errors: dict[str, str] = field(default_factory=dict)
    safetensors_index: dict[str, Any] | None = None
    safetensors_index_error: str | None = None
    adapter_config: dict[str, Any] | None = None
    adapter_config_error: str | None = None
    probe: LoadProbe | None = None
    private: bool = False
    gated: str | None = None  # the Hub's gating mode ("auto", "manual"); None when not gated
    likes: int | None = None
    unreadable: str | None = None  # why the files could not be read (e.g. a gated Hub repository)
    # Symbolic links that lead out of the snapshot (path → where it points); never read.
    outside_links: dict[str, str] = field(default_factory=dict)

    @property
    def safetensors_files(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(".safetensors"))

    @property
    def pickled_files(self) -> list[str]:
        return sorted(p for p in self.files if p.endswith(PICKLE_SUFFIXES))

    @property
    def param_count(self) -> int | None:
        if not self.safetensors or self.safetensors_errors:
            return None
        return sum(h.param_count for h in self.safetensors.values())

    @property
    def architectures(self) -> list[str]:
        value = (self.config or {}).get("architectures") or []
        return [str(a) for a in value] if isinstance(value, list) else []

    @property
    def chat_template(self) -> str | None:
        if self.chat_template_file:
            return self.chat_template_file
        template = (self.tokenizer_config or {}).get("chat_template")
        if isinstance(template, str) and template.strip():
            return template
        if isinstance(template, list) and template:  # named templates: [{"name", "template"}]
            return str(template[0].get("template", "")) or None
        return None
