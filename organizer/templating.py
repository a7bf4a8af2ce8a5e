"""Jinja filters and globals: times in the event's zone, sanitized Markdown, text direction."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask import Flask, current_app, has_request_context, request
from flask_babel import get_locale
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from organizer.services.text import is_http_url, render_markdown
from organizer.timeutil import to_local

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def select_locale() -> str | None:
    if not has_request_context():  # CLI, outbox worker, services called from tests: the default locale
        return None
    return _best_locale(request.headers.get("Accept-Language", ""), tuple(current_app.config["LANGUAGES"]))


@lru_cache(maxsize=512)
def _best_locale(header: str, languages: tuple[str, ...]) -> str | None:
    """Browsers send a handful of distinct Accept-Language headers: each is parsed once per process
    (parsing it on every request was ~15 µs of a cached public page, bench/README.md)."""
    return parse_accept_header(header, LanguageAccept).best_match(languages)


def text_direction() -> str:
    locale = get_locale()
    return "rtl" if locale is not None and locale.language in RTL_LANGUAGES else "ltr"


def event_datetime(utc_naive: datetime | None, timezone: str, fmt: str = "full") -> str:
    """'Thursday, 1 March 2012, 19:00 GMT', always naming the zone."""
    if utc_naive is None:
        return ""
    local = to_local(utc_naive, timezone)
    locale = get_locale()
    date_part = format_date(local.date(), format="full" if fmt == "full" else "medium", locale=locale)
    time_part = format_time(local, format="HH:mm", locale=locale)
    return f"{date_part}, {time_part} {zone_abbreviation(local)}"


def event_time(utc_naive: datetime, timezone: str) -> str:
    local = to_local(utc_naive, timezone)
    return f"{format_time(local, format='HH:mm', locale=get_locale())} {zone_abbreviation(local)}"


def zone_abbreviation(local: datetime) -> str:
    abbreviation = local.tzname() or ""
    # Zones without a letter abbreviation report an offset like "+03"; show it as "UTC+03".
    if abbreviation[:1] in {"+", "-"}:
        return f"UTC{abbreviation}"
    return abbreviation


def short_date(value, timezone: str | None = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime) and timezone:
        value = to_local(value, timezone)
    return format_date(value, format="medium", locale=get_locale())


def utc_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=ZoneInfo("UTC")), format="medium", locale=get_locale()) + " UTC"


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
