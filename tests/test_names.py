"""The read model's name search (a suffix array over the folded names) finds exactly the names
that hold the text, as `text in name` says: text across two names' boundary, text found more
often than there are names (checked name by name), names added since the index was built, and
letters of more than one byte."""

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from openboard.store._names import NameIndex, folding

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)

LETTERS = "abAB-/.7ßÜü é"  # few letters: texts are found often, and across names' boundaries


def _index(names: list[str], dialect: str, built: int) -> NameIndex:
    index = NameIndex(folding(dialect))
    for name in names[:built]:
        index.code(name)
    index.build()
    for name in names[built:]:
        index.code(name)
    return index


def _expected(index: NameIndex, text: str) -> list[int]:
    return [code for code, folded in enumerate(index.folded) if text in folded]


@settings(max_examples=300, deadline=None)
@given(
    names=st.lists(st.text(LETTERS, min_size=1, max_size=8), max_size=30, unique=True),
    text=st.text(LETTERS, max_size=4),
    dialect=st.sampled_from(("sqlite", "postgresql")),
    built=st.integers(0, 30),
)
def test_a_text_search_finds_the_names_that_hold_it(
    names: list[str], text: str, dialect: str, built: int
) -> None:
    index = _index(names, dialect, built)
    text = text.lower()
    assert index.match_text(text, len(index)).tolist() == _expected(index, text)
    # a snapshot of fewer names (an earlier version) sees its own names only, from the cache
    fewer = len(index) // 2
    kept = [c for c in _expected(index, text) if c < fewer]
    assert index.match_text(text, fewer).tolist() == kept


def test_texts_of_real_names_at_scale_match_a_scan() -> None:
    """Thousands of names of a few shared words: texts found once, in most names (a letter, the
    scan), across boundaries ("b" + "or": a name ends in b, the next begins with org), and never."""
    rng = random.Random(7)
    words = ["llama", "qwen", "mistral", "instruct", "7b", "8b", "chat", "v0.3", "ünï", "sft"]
    names = list(
        dict.fromkeys(
            f"org{rng.randrange(300)}/{'-'.join(rng.choices(words, k=rng.randint(1, 4)))}"
            for _ in range(6000)
        )
    )
    index = _index(names, "sqlite", len(names) - 50)
    for text in ["7b", "llama", "a", "-", "bor", "7b-chat", "ünï-s", "org1", "nothing", "/", "b/"]:
        assert index.match_text(text, len(index)).tolist() == _expected(index, text), text
