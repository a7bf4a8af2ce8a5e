"""Markdown that is safe to show: raw HTML is off and the result is sanitized again (nh3)."""

from __future__ import annotations

import re

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "a", "ul", "ol", "li", "blockquote", "code", "pre",
    "h2", "h3", "h4", "hr",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(source: str | None) -> Markup:
    """Markdown to HTML that is safe to show: raw HTML is off and the result is sanitized again."""
    if not source:
        return Markup("")
    html = _markdown.render(source)
    # Headings in user text start at h2: the page title is the only h1.
    html = re.sub(r"<(/?)h1>", r"<\1h2>", html)
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )
    return Markup(cleaned)  # noqa: S704 - sanitised by nh3 just above
