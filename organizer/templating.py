"""Jinja filters and globals: times in the event's zone, sanitized Markdown, text direction."""

from __future__ import annotations

from functools import lru_cache

from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from organizer.formatting import event_datetime, event_time, short_date, utc_datetime
from organizer.rendering.markdown import render_markdown
from organizer.text import is_http_url

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def select_locale() -> str | None:
    if not has_request_context():  # CLI, outbox worker, services called from tests: the default locale
        return None
    return _best_locale(request.headers.get("Accept-Language", ""), tuple(current_app.config["LANGUAGES"]))


@lru_cache(maxsize=512)
def _best_locale(header: str, languages: tuple[str, ...]) -> str | None:
    """Browsers send a handful of distinct Accept-Language headers: each is parsed once per process
    (parsing it on every request was ~15 µs of a cached public page, bench/README.md). Exact: a pure
    function of its arguments, nothing in the database can change the answer."""
    return parse_accept_header(header, LanguageAccept).best_match(languages)


def text_direction() -> str:
    locale = get_locale()
    return "rtl" if locale is not None and locale.language in RTL_LANGUAGES else "ltr"


def http_url(value: str | None) -> str:
    """A stored link as an href only if it is http(s): forms refuse others, and this holds for rows
    written any other way (imports, the shell, an old bug)."""
    return value if value and is_http_url(value) else "#"


def init_app(app: Flask) -> None:
    app.jinja_env.filters["http_url"] = http_url
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["event_datetime"] = event_datetime
    app.jinja_env.filters["event_time"] = event_time
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["utc_datetime"] = utc_datetime
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["get_locale"] = get_locale
