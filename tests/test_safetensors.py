import io
import json
import struct

import pytest

from openboard.sources import SafetensorsHeaderError, read_safetensors_header

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


def _file(header: dict[str, object], data: bytes) -> bytes:
    raw = json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _read(blob: bytes):  # type: ignore[no-untyped-def]
    return read_safetensors_header(io.BytesIO(blob), len(blob), "model.safetensors")


def test_counts_parameters_and_dtypes_from_the_header_alone() -> None:
    header = {
        "__metadata__": {"format": "pt"},
        "a": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [0, 12]},
        "b": {"dtype": "F32", "shape": [4], "data_offsets": [12, 28]},
    }
    parsed = _read(_file(header, b"\0" * 28))
    assert parsed.param_count == 10
    assert parsed.dtypes == {"BF16", "F32"}
    assert parsed.metadata == {"format": "pt"}


@pytest.mark.parametrize(
    ("header", "data", "message"),
    [
        ({"a": {"dtype": "Q9", "shape": [1], "data_offsets": [0, 1]}}, b"\0", "unknown dtype"),
        (
            {"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}},
            b"\0" * 4,
            "its shape needs 8",
        ),
        ({"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, b"\0" * 4, "past the end"),
        (
            {
                "a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                "b": {"dtype": "F32", "shape": [2], "data_offsets": [4, 12]},
            },
            b"\0" * 12,
            "overlap",
        ),
        (
            {"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}},
            b"\0" * 4,
            "invalid shape",
        ),
    ],
)
def test_hostile_headers_are_refused(header: dict[str, object], data: bytes, message: str) -> None:
    with pytest.raises(SafetensorsHeaderError, match=message):
        _read(_file(header, data))


def test_absurd_header_length_is_refused_without_reading_it() -> None:
    blob = struct.pack("<Q", 2**60) + b"{}"
    with pytest.raises(SafetensorsHeaderError, match="header"):
        _read(blob)


def test_header_longer_than_file_is_refused() -> None:
    blob = struct.pack("<Q", 1000) + b"{}"
    with pytest.raises(SafetensorsHeaderError, match="longer than the file"):
        _read(blob)


def test_git_lfs_pointer_is_named() -> None:
    pointer = b"version https://git-lfs.github.com/spec/v1\noid sha256:abc\nsize 123\n"
    with pytest.raises(SafetensorsHeaderError, match="LFS pointer") as info:
        _read(pointer)
    assert "git lfs pull" in info.value.hint


def test_header_that_is_not_json_is_refused() -> None:
    raw = b"\xff\xfe not json"
    blob = struct.pack("<Q", len(raw)) + raw
    with pytest.raises(SafetensorsHeaderError, match="not JSON"):
        _read(blob)
