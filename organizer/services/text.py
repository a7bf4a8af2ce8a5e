"""Markdown, sanitizing, slugs and the folded form of names that search compares."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

# Bidi embedding/override/isolate controls: invisible, and able to reorder the text around them
# ("Amina\u202egnp.exe" shows as "Aminaexe.png"). Nobody needs them to write a name in Arabic or
# Hebrew (the marks U+200E/U+200F stay), so they are dropped from what people type and, as a second
# line, from everything rendered.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def without_bidi_controls(value: str) -> str:
    return value if value.isascii() else value.translate(BIDI_CONTROLS)


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
    return Markup(cleaned)


def slugify(value: str, max_length: int = 80) -> str:
    normalized = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", normalized.lower()).strip("-")
    return slug[:max_length].strip("-") or "item"


def is_http_url(value: str) -> bool:
    """Only http(s) URLs with a host: no javascript:, data:, or scheme-relative tricks."""
    if not value or any(ch.isspace() or ord(ch) < 32 for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.hostname)


def excerpt(value: str, length: int = 180) -> str:
    value = " ".join((value or "").split())
    if len(value) <= length:
        return value
    return value[: length - 1].rsplit(" ", 1)[0] + "…"


def fold_for_search(text: str) -> str:
    """Case- and accent-insensitive form of a name ("José  Núñez" -> "jose nunez"): what the door
    list searches, stored with each RSVP (Rsvp.search_name) so the search runs in SQL. The same rule
    as static/js/door.js."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
