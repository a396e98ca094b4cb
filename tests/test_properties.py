"""Property tests: the id grammar and the safetensors header parser never crash and never let a trick through."""

import io
import json
import re
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openboard.domain import InvalidModelIdError, ModelId, parse_model_pattern
from openboard.sources import SafetensorsHeaderError, read_safetensors_header

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

HUB_PART = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,94}[A-Za-z0-9])?$")
PART_CHARS = st.sampled_from("abcXYZ019-_./\\\x00 ~:@")


@settings(max_examples=2000, deadline=None)
@given(st.one_of(st.text(max_size=220), st.text(PART_CHARS, max_size=30)))
def test_model_id_either_parses_to_a_safe_id_or_is_refused_with_a_hint(text: str) -> None:
    try:
        model_id = ModelId.parse(text)
    except InvalidModelIdError as exc:
        assert exc.message and exc.hint
        return
    assert str(model_id) == text  # no normalization hides what was asked for
    for part in (model_id.org, model_id.name):
        assert HUB_PART.match(part) and ".." not in part and "--" not in part
        assert not set(part) & set("/\\\x00 ")
        assert len(part) <= 96


@given(st.text(st.sampled_from("ab-_.*/"), max_size=12))
def test_blocklist_patterns_are_ids_or_namespaces(text: str) -> None:
    try:
        pattern = parse_model_pattern(text)
    except InvalidModelIdError:
        return
    org, _, name = pattern.partition("/")
    assert HUB_PART.match(org)
    assert name == "*" or HUB_PART.match(name)


@settings(max_examples=1500, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_header_reader(data: bytes) -> None:
    try:
        header = read_safetensors_header(io.BytesIO(data), len(data), "fuzz.safetensors")
    except SafetensorsHeaderError as exc:
        assert exc.message and exc.hint
        return
    assert header.param_count >= 0


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=12,
)
ENTRIES = st.fixed_dictionaries(
    {
        "dtype": st.sampled_from(["F32", "BF16", "I64", "F4", "U8", "F128", "", 7]),
        "shape": st.lists(st.integers(-2, 2**40), max_size=4) | JSON_VALUES,
        "data_offsets": st.lists(st.integers(-5, 2**64), min_size=0, max_size=3) | JSON_VALUES,
    }
)


@settings(max_examples=1500, deadline=None)
@given(
    st.dictionaries(st.text(max_size=10), ENTRIES | JSON_VALUES, max_size=5),
    st.integers(0, 512),
)
def test_structured_hostile_headers_are_refused_or_consistent(
    header: dict[str, object], data_size: int
) -> None:
    raw = json.dumps(header).encode()
    blob = struct.pack("<Q", len(raw)) + raw + b"\0" * data_size
    try:
        parsed = read_safetensors_header(io.BytesIO(blob), len(blob), "fuzz.safetensors")
    except SafetensorsHeaderError as exc:
        assert exc.message and exc.hint
        return
    # Accepted: every tensor fits in the data, with a byte count its shape explains.
    assert all(type(n) is int and n >= 0 for t in parsed.tensors for n in t.shape)
    assert parsed.param_count <= data_size * 2  # at least 4 bits per element
