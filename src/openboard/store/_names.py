"""The board read model's model names: one code per distinct name, and a suffix array over them.

A name search matches what the SQL path matches. On SQLite `lower(model) LIKE '%text%'` folds
ASCII letters only, on PostgreSQL lower() folds every letter: `folding(dialect)` gives the same
fold for the names, and the text is `text.lower()` on both. The folded names, end to end, have a
suffix array (libdivsufsort's, ~2.5 s for a million rows' 28 MB): the suffixes that begin with
the text are one range of it, found by binary search, and the names holding those places are the
matches, exact, with no name read. At a million rows (803,299 names) a text search costs ~5-13 ms:
"7b" 13 ms where a scan of every name cost 110 ms, "instruct" 10 ms where checking the names that
hold its rarest trigram cost 27 ms. Text found more than twice per name (a single common letter)
is checked name by name instead, which is then cheaper (~40 ms). A regular expression runs on RE2 (pyarrow's;
the engine google-re2 wraps, linear in the text) over the names holding every piece of text it
requires. Matches over the indexed names are kept by text, for every version until the next
`build`; the tail is checked each time.

Codes are append-only: a later data version adds names after the indexed ones (its `tail`, scanned
whole) and never renumbers a name, so snapshots of different versions share one `NameIndex`.
"""

import string
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
from pydivsufsort import divsufsort

from openboard.domain import InvalidSearchError

__all__ = ["NameIndex", "folding", "regex_hits"]

Codes = npt.NDArray[np.int32]
_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_SCANNED_SHARE = 2  # found more than twice per name: checking every name costs less
_CACHED_BYTES = 32 << 20  # matches kept per index, by the size of their code arrays


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_FOLD)


def folding(dialect: str) -> Callable[[str], str]:
    """How the dialect's `lower(model) LIKE` folds a name."""
    return _ascii_lower if dialect == "sqlite" else str.lower


def regex_hits(pattern: str, names: pa.Array | list[str]) -> npt.NDArray[np.bool_]:
    """Which names hold a case-insensitive match of `pattern` (RE2, vectorized: every engine
    that searches names outside SQLite's own per-row function answers through this)."""
    try:
        hits = pc.match_substring_regex(
            names if isinstance(names, pa.Array) else pa.array(names, pa.string()),
            pattern,
            ignore_case=True,
        )
    except pa.ArrowInvalid as exc:
        raise InvalidSearchError(
            f"{pattern!r} is not a regular expression openboard can run: {exc}",
            "searches use RE2 syntax (no backreferences or lookaround); escape special "
            "characters with a backslash, or search for plain text",
        ) from exc
    return np.asarray(hits.to_numpy(zero_copy_only=False), bool)


@dataclass(frozen=True, slots=True)
class _Indexed:
    """What one `build` indexed: the first `count` names. Swapped whole, so that a search reads
    one build's arrays even while the next one lands."""

    count: int
    text: bytes  # the folded names end to end, UTF-8
    ends: npt.NDArray[np.int64]  # where each name ends in `text`
    suffixes: npt.NDArray[np.integer[Any]]  # places in `text`, by the text that begins there
    names: pa.Array
    folded: pa.Array  # over `text`, not a copy


def _indexed(names: list[str], folded: list[str]) -> _Indexed:
    encoded = [f.encode() for f in folded]
    text = b"".join(encoded)
    ends = np.cumsum(np.fromiter(map(len, encoded), np.int64, len(encoded)))
    offsets = pa.py_buffer(np.concatenate((np.zeros(1, np.int64), ends)))
    # divsufsort writes nothing, but it takes a writable buffer only
    suffixes = divsufsort(np.frombuffer(text, np.uint8).copy()) if text else np.zeros(0, np.int32)
    return _Indexed(
        len(names),
        text,
        ends,
        suffixes,
        pa.array(names, pa.string()),
        pa.Array.from_buffers(pa.large_string(), len(folded), [None, offsets, pa.py_buffer(text)]),
    )


_NOTHING_INDEXED = _indexed([], [])


class NameIndex:
    """Distinct model names by code; `match_*` return the codes (sorted) of matching names among
    the first `count` codes."""

    def __init__(self, fold: Callable[[str], str]) -> None:
        self.fold = fold
        self._lock = threading.Lock()
        self.names: list[str] = []
        self.folded: list[str] = []
        self.code_of: dict[str, int] = {}
        self._index = _NOTHING_INDEXED
        # (kind, text) -> the matching codes among the first `count` names, with that count
        self._cache: OrderedDict[tuple[str, str], tuple[int, Codes]] = OrderedDict()
        self._cache_bytes = 0

    def __len__(self) -> int:
        return len(self.names)

    def code(self, name: str) -> int:
        """The name's code, given one now if it has none."""
        found = self.code_of.get(name)
        if found is None:
            with self._lock:
                found = self.code_of.get(name)
                if found is None:
                    found = len(self.names)
                    self.names.append(name)
                    self.folded.append(self.fold(name))
                    self.code_of[name] = found
        return found

    def build(self) -> None:
        """Index every name known now (the suffix array, and the names for RE2)."""
        count = len(self.names)
        index = _indexed(self.names[:count], self.folded[:count])
        # loads RE2 before a reader
        pc.match_substring_regex(index.names[:1], "a", ignore_case=True)
        with self._lock:
            self._index = index
            self._cache.clear()
            self._cache_bytes = 0

    @property
    def tail(self) -> int:
        """Names known but not indexed yet (scanned whole by every search)."""
        return len(self.names) - self._index.count

    def nbytes(self) -> int:
        strings = sum(len(n) + 49 for n in self.names) + sum(len(f) + 49 for f in self.folded)
        index = self._index
        arrays = len(index.text) + index.ends.nbytes + index.suffixes.nbytes
        arrow = int(index.names.nbytes) + int(index.folded.nbytes) - len(index.text)  # shared
        return strings + arrays + arrow + len(self.code_of) * 100

    def _cached(
        self, index: _Indexed, kind: str, text: str, find: Callable[[_Indexed], Codes]
    ) -> Codes:
        """`find` over `index`, kept: later names are the tail, which the caller checks itself."""
        key = (kind, text)
        with self._lock:
            kept = self._cache.get(key)
            if kept is not None and kept[0] == index.count:
                self._cache.move_to_end(key)
                return kept[1]
        found = find(index)
        with self._lock:
            if index is self._index and found.nbytes <= _CACHED_BYTES // 8:
                _, replaced = self._cache.pop(key, (0, found[:0]))
                self._cache[key] = (index.count, found)
                self._cache_bytes += found.nbytes - replaced.nbytes
                while self._cache_bytes > _CACHED_BYTES:
                    _, (_, dropped) = self._cache.popitem(last=False)
                    self._cache_bytes -= dropped.nbytes
        return found

    @staticmethod
    def _head(index: _Indexed, found: Codes, count: int) -> tuple[Codes, range]:
        """Of a match over the indexed names, the codes below `count`; and the tail to check."""
        if count <= index.count:
            return found[: int(np.searchsorted(found, count))], range(0)
        return found, range(index.count, count)

    def match_text(self, text: str, count: int) -> Codes:
        """Codes of the names whose fold holds `text` (already lowercased)."""
        index = self._index
        head, tail = self._head(index, self._indexed_text(index, text), count)
        if not tail:
            return head
        more = [c for c in tail if text in self.folded[c]]
        return np.concatenate((head, np.asarray(more, np.int32)))

    def _indexed_text(self, index: _Indexed, text: str) -> Codes:
        return self._cached(index, "text", text, lambda i: _find_text(i, text))

    def match_pattern(self, pattern: str, required: tuple[str, ...], count: int) -> Codes:
        """Codes of the names with a case-insensitive RE2 match of `pattern`."""
        index = self._index
        found = self._cached(
            index, "regex", pattern, lambda i: self._find_pattern(i, pattern, required)
        )
        head, tail = self._head(index, found, count)
        if not tail:
            return head
        folded = self.folded
        codes = np.asarray(
            [c for c in tail if all(t.lower() in folded[c] for t in required)], np.int32
        )
        names = [self.names[c] for c in codes.tolist()]
        return np.concatenate((head, codes[regex_hits(pattern, names)]))

    def _find_pattern(self, index: _Indexed, pattern: str, required: tuple[str, ...]) -> Codes:
        candidates: Codes | None = None
        for text in required:
            codes = self._indexed_text(index, text.lower())
            candidates = codes if candidates is None else np.intersect1d(candidates, codes)
        if candidates is None:
            names, codes = index.names, np.arange(index.count, dtype=np.int32)
        else:
            names, codes = index.names.take(pa.array(candidates)), candidates
        matched: Codes = codes[regex_hits(pattern, names)]
        return matched


def _find_text(index: _Indexed, text: str) -> Codes:
    needle = text.encode()
    suffixes, length = index.suffixes, len(needle)

    def begins(place: int) -> bytes:
        return index.text[place : place + length]

    low = bisect_left(suffixes, needle, key=begins)
    high = bisect_right(suffixes, needle, lo=low, key=begins)
    if not needle or high - low > _SCANNED_SHARE * index.count:
        hits = pc.match_substring(index.folded, text)  # what `text in name` says, vectorized
        return np.flatnonzero(np.asarray(hits.to_numpy(zero_copy_only=False), bool)).astype(
            np.int32
        )
    places = np.sort(suffixes[low:high])  # sorted, the owners are found in one sweep
    owners = np.searchsorted(index.ends, places, "right")
    owners = owners[places + length <= index.ends[owners]]  # not across two names
    if len(owners) == 0:
        return np.zeros(0, np.int32)
    first = np.concatenate(([True], owners[1:] != owners[:-1]))  # once per name
    return owners[first].astype(np.int32)
