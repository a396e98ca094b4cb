"""Links that change one part of a view (memoized per query) and the templates' dict lookups."""

from pathlib import Path
from urllib.parse import quote_plus

import pytest

from openboard.web._links import _quote, link, toggle, toggles
from openboard.web._templating import PageEnvironment

from .conftest import POSTGRES_SERVER

pytestmark = pytest.mark.skipif(
    bool(POSTGRES_SERVER), reason="no database: the SQLite pass runs these"
)


@pytest.mark.parametrize(
    ("query", "changes", "expected"),
    [
        ("", {}, "?"),
        ("q=llama&page=3", {"page": None}, "?q=llama"),
        ("q=llama&page=3", {"page": "4"}, "?q=llama&page=4"),
        ("page=3", {"page": None}, "?"),
        ("sort=model&q=a+b", {"sort": "average", "dir": "asc"}, "?q=a+b&sort=average&dir=asc"),
        ("q=%26%3D&pin=a/b", {"pin": ["a/b", "c d"]}, "?q=%26%3D&pin=a%2Fb&pin=c+d"),
        ("q=&x=1", {"q": ""}, "?x=1&q="),
    ],
)
def test_link_replaces_the_changed_parameters_and_keeps_the_rest(
    query: str, changes: dict[str, str | list[str] | None], expected: str
) -> None:
    assert link(query, **changes) == expected
    assert link(query, **changes) == expected  # the memoized parse answers the same


def test_toggle_adds_a_pin_or_removes_it() -> None:
    assert toggle("q=x", "pin", "org/m") == "?q=x&pin=org%2Fm"
    assert toggle("q=x&pin=org/m&pin=a/b", "pin", "org/m") == "?q=x&pin=a%2Fb"
    assert toggle("pin=org/m", "pin", "org/m") == "?"


@pytest.mark.parametrize(
    "query", ["", "q=x", "pin=org/m", "q=%26%3D&pin=a/b&pin=org/m&page=2", "pin=a/b&pin=a/b"]
)
def test_toggles_of_one_query_are_its_toggle_links(query: str) -> None:
    href = toggles(query, "pin")
    for value in ("org/m", "a/b", "c d", "x&y=z"):
        assert href(value) == toggle(query, "pin", value)


def test_templates_read_dict_keys_and_keep_methods_and_attributes(tmp_path: Path) -> None:
    (tmp_path / "t.html").write_text(
        "{{ row.model }}|{{ row.scores.get('x') }}|{{ row.missing }}|{{ pairs.items()|list }}"
        "|{{ text.upper() }}|{{ row.html }}"
    )
    rendered = (
        PageEnvironment(tmp_path)
        .get_template("t.html")
        .render(row={"model": "a/b", "scores": {"x": 1}, "html": "<b>"}, pairs={"k": 2}, text="up")
    )
    assert rendered == "a/b|1||[(&#39;k&#39;, 2)]|UP|&lt;b&gt;"


@pytest.mark.parametrize(
    "text",
    ["org/name", "Org-1/na.me_2~x", "", "a b", "a+b/c", "é/ü", "%2F", "org/na&me=1", "x\ny", "/"],
)
def test_quoting_is_quote_plus(text: str) -> None:
    assert _quote(text) == quote_plus(text)
