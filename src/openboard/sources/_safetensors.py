"""Read a safetensors header (8-byte little-endian length, then JSON) without torch or weights."""

import json
import math
import struct
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import IO

from openboard.domain import OpenboardError

# Bytes per element; sub-byte and exotic dtypes included so a valid file is never refused.
DTYPE_BITS: dict[str, int] = {
    "BOOL": 8, "U8": 8, "I8": 8, "F8_E5M2": 8, "F8_E4M3": 8, "F8_E8M0": 8,
    "I16": 16, "U16": 16, "F16": 16, "BF16": 16,
    "I32": 32, "U32": 32, "F32": 32, "I64": 64, "U64": 64, "F64": 64,
    "F4": 4, "F6_E2M3": 6, "F6_E3M2": 6,
}  # fmt: skip
MAX_HEADER_BYTES = 100 * 1024 * 1024  # the safetensors format's own limit
LFS_POINTER_PREFIX = b"version https://git-lfs"


class SafetensorsHeaderError(OpenboardError):
    """A safetensors file whose header is corrupt, hostile or not a safetensors header at all."""


@dataclass(frozen=True, slots=True)
class TensorInfo:
    name: str
    dtype: str
    shape: tuple[int, ...]

    @property
    def numel(self) -> int:
        return math.prod(self.shape)


@dataclass(frozen=True, slots=True)
class SafetensorsHeader:
    tensors: tuple[TensorInfo, ...]
    metadata: dict[str, str]

    @property
    def param_count(self) -> int:
        return sum(t.numel for t in self.tensors)

    @property
    def dtypes(self) -> frozenset[str]:
        return frozenset(t.dtype for t in self.tensors)


def read_safetensors_header(stream: IO[bytes], file_size: int, name: str) -> SafetensorsHeader:
    """Read and check the header at the start of `stream`; reads 8 + header-length bytes only."""
    prefix = stream.read(8)
    if prefix.startswith(LFS_POINTER_PREFIX[:8]) and file_size < 1024:
        raise SafetensorsHeaderError(
            f"{name} is a Git LFS pointer, not the weights",
            "run `git lfs pull` in the model repository, then commit",
        )
    if len(prefix) < 8:
        raise SafetensorsHeaderError(
            f"{name} is too short to be safetensors", "re-save the weights"
        )
    (length,) = struct.unpack("<Q", prefix)
    if length > MAX_HEADER_BYTES:
        raise SafetensorsHeaderError(
            f"{name} declares a {length:,}-byte header (limit {MAX_HEADER_BYTES:,})",
            "the file is corrupt; re-save it with safetensors",
        )
    if 8 + length > file_size:
        raise SafetensorsHeaderError(
            f"{name} declares a header longer than the file",
            "the file is truncated; upload it again",
        )
    raw = stream.read(length)
    if len(raw) != length:
        raise SafetensorsHeaderError(f"{name} ended inside its header", "upload the file again")
    return parse_safetensors_header(raw, data_size=file_size - 8 - length, name=name)


def parse_safetensors_header(raw: bytes, data_size: int, name: str) -> SafetensorsHeader:
    """Check a header's JSON: known dtypes, shapes that match byte ranges, ranges inside the data, no overlaps."""
    fix = "re-save the weights with the safetensors library"
    try:
        header = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SafetensorsHeaderError(f"{name} has a header that is not JSON: {exc}", fix) from exc
    if not isinstance(header, dict):
        raise SafetensorsHeaderError(f"{name} has a header that is not a JSON object", fix)
    metadata_raw = header.pop("__metadata__", {})
    if not isinstance(metadata_raw, dict):
        raise SafetensorsHeaderError(f"{name} has __metadata__ that is not an object", fix)
    metadata = {str(k): str(v) for k, v in metadata_raw.items()}
    tensors: list[TensorInfo] = []
    ranges: list[tuple[int, int, str]] = []
    for tensor_name, entry in header.items():
        tensor = _tensor_info(tensor_name, entry, name)
        begin, end = entry["data_offsets"]
        expected_bytes = math.ceil(tensor.numel * DTYPE_BITS[tensor.dtype] / 8)
        if end - begin != expected_bytes:
            raise SafetensorsHeaderError(
                f"{name}: tensor {tensor_name!r} has {end - begin} bytes, its shape needs {expected_bytes}",
                fix,
            )
        if end > data_size:
            raise SafetensorsHeaderError(
                f"{name}: tensor {tensor_name!r} runs past the end of the file", fix
            )
        tensors.append(tensor)
        ranges.append((begin, end, tensor_name))
    ranges.sort()
    for (_, prev_end, prev_name), (begin, _, tensor_name) in pairwise(ranges):
        if begin < prev_end:
            raise SafetensorsHeaderError(
                f"{name}: tensors {prev_name!r} and {tensor_name!r} overlap", fix
            )
    return SafetensorsHeader(tensors=tuple(tensors), metadata=metadata)


def _tensor_info(tensor_name: str, entry: object, name: str) -> TensorInfo:
    fix = "re-save the weights with the safetensors library"
    if not isinstance(entry, dict):
        raise SafetensorsHeaderError(f"{name}: entry {tensor_name!r} is not an object", fix)
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in DTYPE_BITS:
        raise SafetensorsHeaderError(
            f"{name}: tensor {tensor_name!r} has unknown dtype {dtype!r}", fix
        )
    if not isinstance(shape, list) or not all(_natural(d) for d in shape):
        raise SafetensorsHeaderError(f"{name}: tensor {tensor_name!r} has an invalid shape", fix)
    if (
        not isinstance(offsets, list)
        or len(offsets) != 2
        or not all(_natural(o) for o in offsets)
        or offsets[0] > offsets[1]
    ):
        raise SafetensorsHeaderError(
            f"{name}: tensor {tensor_name!r} has invalid data_offsets", fix
        )
    return TensorInfo(name=tensor_name, dtype=str(dtype), shape=tuple(shape))


def _natural(value: object) -> bool:
    # JSON true/false are ints to Python; a header that uses them for sizes is not well formed.
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def read_safetensors_file_header(path: Path) -> SafetensorsHeader:
    with path.open("rb") as stream:
        return read_safetensors_header(stream, path.stat().st_size, path.name)
