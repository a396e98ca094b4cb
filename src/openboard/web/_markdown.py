"""Model cards are written by submitters: rendered from Markdown with raw HTML off, then passed
through nh3 (an allow-list HTML sanitizer), so no script, handler or style from a card runs here."""

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_FRONT_MATTER = re.compile(r"\A---\s*\n.*?\n---\s*(\n|\Z)", re.DOTALL)
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


def render_card(text: str) -> Markup:
    body = _FRONT_MATTER.sub("", text, count=1)
    html = _MARKDOWN.render(body)
    clean = nh3.clean(
        html, url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener noreferrer"
    )
    return Markup(clean)  # noqa: S704 - sanitized by nh3 just above
