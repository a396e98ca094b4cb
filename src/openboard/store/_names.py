"""The board read model's model names: one code per distinct name, and a trigram index over them.

A name search matches what the SQL path matches. On SQLite `lower(model) LIKE '%text%'` folds
ASCII letters only, on PostgreSQL lower() folds every letter: `folding(dialect)` gives the same
fold for the names, and the text is `text.lower()` on both. Text of three bytes or more is looked
up in the trigram index (the names holding its rarest trigram), then checked name by name;
shorter text scans every name. A regular expression runs on RE2 (pyarrow's; the engine
google-re2 wraps, linear in the text) over the names holding every piece of text it requires.

Codes are append-only: a later data version adds names after the indexed ones (its `tail`, scanned
whole) and never renumbers a name, so snapshots of different versions share one `NameIndex`.
"""

import string
import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from openboard.domain import InvalidSearchError

__all__ = ["NameIndex", "folding"]

Codes = npt.NDArray[np.int32]
_ASCII_FOLD = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_GRAM = 3
_CACHED_BYTES = 32 << 20  # matches kept per index, by the size of their code arrays


def _ascii_lower(text: str) -> str:
    return text.translate(_ASCII_FOLD)


def folding(dialect: str) -> Callable[[str], str]:
    """How the dialect's `lower(model) LIKE` folds a name."""
    return _ascii_lower if dialect == "sqlite" else str.lower


def _trigram_keys(data: npt.NDArray[np.uint8]) -> npt.NDArray[np.int64]:
    wide = data.astype(np.int64)
    return (wide[:-2] << 16) | (wide[1:-1] << 8) | wide[2:]


class NameIndex:
    """Distinct model names by code; `match_*` return the codes (sorted) of matching names among
    the first `count` codes."""

    def __init__(self, fold: Callable[[str], str]) -> None:
        self.fold = fold
        self._lock = threading.Lock()
        self.names: list[str] = []
        self.folded: list[str] = []
        self.code_of: dict[str, int] = {}
        self._indexed = 0
        self._gram_keys: npt.NDArray[np.int64] = np.zeros(0, np.int64)
        self._gram_starts: npt.NDArray[np.int64] = np.zeros(1, np.int64)
        self._gram_codes: Codes = np.zeros(0, np.int32)
        self._arrow = pa.array([], pa.string())
        self._cache: OrderedDict[tuple[str, str, int], Codes] = OrderedDict()
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
        """Index every name known now (the trigram lists and the names for RE2)."""
        count = len(self.names)
        encoded = [f.encode() for f in self.folded[:count]]
        lengths = np.fromiter(map(len, encoded), np.int64, count)
        data = np.frombuffer(b"".join(encoded), np.uint8)
        if len(data) >= _GRAM:
            owner = np.repeat(np.arange(count, dtype=np.int64), lengths)
            inside = owner[:-2] == owner[2:]  # a trigram of one name, not across two
            pairs = (_trigram_keys(data)[inside] << 32) | owner[:-2][inside]
            del owner, inside
            pairs.sort()
            pairs = pairs[np.concatenate(([True], pairs[1:] != pairs[:-1]))]  # once per name
            keys = pairs >> 32
            first = np.concatenate(([True], keys[1:] != keys[:-1]))
            gram_keys = keys[first]
            starts = np.append(np.flatnonzero(first), len(keys)).astype(np.int64)
            codes = (pairs & 0xFFFFFFFF).astype(np.int32)
        else:
            gram_keys, starts, codes = (
                np.zeros(0, np.int64),
                np.zeros(1, np.int64),
                np.zeros(0, np.int32),
            )
        arrow = pa.array(self.names[:count], pa.string())
        pc.match_substring_regex(arrow[:1], "a", ignore_case=True)  # loads RE2 before a reader
        with self._lock:
            self._gram_keys, self._gram_starts, self._gram_codes = gram_keys, starts, codes
            self._arrow = arrow
            self._indexed = count
            self._cache.clear()
            self._cache_bytes = 0

    @property
    def tail(self) -> int:
        """Names known but not indexed yet (scanned whole by every search)."""
        return len(self.names) - self._indexed

    def nbytes(self) -> int:
        strings = sum(len(n) + 49 for n in self.names) + sum(len(f) + 49 for f in self.folded)
        arrays = self._gram_keys.nbytes + self._gram_starts.nbytes + self._gram_codes.nbytes
        return strings + arrays + int(self._arrow.nbytes) + len(self.code_of) * 100

    def _cached(self, kind: str, text: str, count: int, find: Callable[[], Codes]) -> Codes:
        key = (kind, text, count)
        with self._lock:
            kept = self._cache.get(key)
            if kept is not None:
                self._cache.move_to_end(key)
                return kept
        found = find()
        with self._lock:
            if key not in self._cache and found.nbytes <= _CACHED_BYTES // 8:
                self._cache[key] = found
                self._cache_bytes += found.nbytes
                while self._cache_bytes > _CACHED_BYTES:
                    _, dropped = self._cache.popitem(last=False)
                    self._cache_bytes -= dropped.nbytes
        return found

    def match_text(self, text: str, count: int) -> Codes:
        """Codes of the names whose fold holds `text` (already lowercased)."""
        return self._cached("text", text, count, lambda: self._find_text(text, count))

    def _find_text(self, text: str, count: int) -> Codes:
        indexed, folded = min(self._indexed, count), self.folded
        candidates = self._candidates(text.encode(), indexed)
        found = [c for c in candidates if text in folded[c]]
        found += [c for c in range(indexed, count) if text in folded[c]]
        return np.asarray(found, np.int32)

    def _candidates(self, needle: bytes, indexed: int) -> list[int] | range:
        if len(needle) < _GRAM:
            return range(indexed)
        keys = _trigram_keys(np.frombuffer(needle, np.uint8))
        at = np.searchsorted(self._gram_keys, keys)
        known = self._gram_keys
        if len(known) == 0 or (known[np.minimum(at, len(known) - 1)] != keys).any():
            return []
        sizes = self._gram_starts[at + 1] - self._gram_starts[at]
        rarest = int(at[int(np.argmin(sizes))])
        codes = self._gram_codes[self._gram_starts[rarest] : self._gram_starts[rarest + 1]]
        inside: list[int] = codes[codes < indexed].tolist()
        return inside

    def match_pattern(self, pattern: str, required: tuple[str, ...], count: int) -> Codes:
        """Codes of the names with a case-insensitive RE2 match of `pattern`."""
        return self._cached(
            "regex", pattern, count, lambda: self._find_pattern(pattern, required, count)
        )

    def _find_pattern(self, pattern: str, required: tuple[str, ...], count: int) -> Codes:
        candidates: Codes | None = None
        for text in required:
            codes = self.match_text(text.lower(), count)
            candidates = codes if candidates is None else np.intersect1d(candidates, codes)
        indexed = min(self._indexed, count)
        if candidates is None:
            names = pa.concat_arrays(
                [self._arrow.slice(0, indexed), pa.array(self.names[indexed:count], pa.string())]
            )
            codes = np.arange(count, dtype=np.int32)
        else:
            names = pa.array([self.names[c] for c in candidates], pa.string())
            codes = candidates
        try:
            hits = pc.match_substring_regex(names, pattern, ignore_case=True)
        except pa.ArrowInvalid as exc:
            raise InvalidSearchError(
                f"{pattern!r} is not a regular expression openboard can run: {exc}",
                "searches use RE2 syntax (no backreferences or lookaround); escape special "
                "characters with a backslash, or search for plain text",
            ) from exc
        matched: Codes = codes[np.asarray(hits.to_numpy(zero_copy_only=False), bool)]
        return matched
