"""Jinja filters and globals: times in the event's zone, sanitized Markdown, text direction."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale
from flask import Flask, current_app, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from organizer.bidi import bidi
from organizer.formatting import event_datetime, event_time, month_abbreviation, short_date, utc_datetime
from organizer.rendering.markdown import render_markdown
from organizer.services.events import details
from organizer.text import is_http_url
from organizer.views_common import language_switch_url

RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def select_locale() -> str | None:
    """The locale of this request: the visitor's choice (the language cookie the switcher sets), else
    a signed-in person's account setting, else the best of Accept-Language, else the default.

    Returned as the regional locale for formats: "en" is DEFAULT_LOCALE (en_GB) when that is English.
    """
    if not has_request_context():  # CLI, outbox worker, services called from tests: the default locale
        return None
    config = current_app.config
    languages = tuple(config["LANGUAGES"])
    language = request.cookies.get(config.get("LANGUAGE_COOKIE_NAME", "lang"))
    if language not in languages:
        language = _account_language(languages)
    if language is None:
        language = _best_locale(request.headers.get("Accept-Language", ""), languages)
    if language is None:
        return None
    return regional_locale(language, config.get("DEFAULT_LOCALE") or "en")


def _account_language(languages: tuple[str, ...]) -> str | None:
    # Only a session that holds a sign-in loads the user: anonymous pages stay free of queries.
    if "_user_id" not in session:
        return None
    language = getattr(current_user, "locale", None)
    return language if language in languages else None


@lru_cache(maxsize=64)
def regional_locale(language: str, default_locale: str) -> str:
    """The locale whose formats a language is written in: the default locale for its own language
    ("en" -> "en_GB"), the bare language otherwise ("ar")."""
    default = Locale.parse(default_locale)
    return str(default) if default.language == language else language


def language_of(locale: str | Locale | None) -> str:
    """"en_GB" -> "en": what LANGUAGES, the switcher and the stored RSVP language compare."""
    if locale is None:
        return ""
    return str(locale).replace("-", "_").split("_", 1)[0]


@lru_cache(maxsize=512)
def _best_locale(header: str, languages: tuple[str, ...]) -> str | None:
    """Browsers send a handful of distinct Accept-Language headers: each is parsed once per process
    (parsing it on every request was ~15 µs of a cached public page, bench/README.md). Exact: a pure
    function of its arguments, nothing in the database can change the answer."""
    return parse_accept_header(header, LanguageAccept).best_match(languages)


@lru_cache(maxsize=16)
def _native_name(language: str) -> str:
    """Each language named in itself ("English", "العربية"), so anyone can find their own."""
    name = Locale.parse(language).get_display_name(language) or language
    return name[:1].upper() + name[1:]


def language_names() -> list[tuple[str, str]]:
    """(code, name in itself) for each language offered, e.g. for a select."""
    return [(code, _native_name(code)) for code in current_app.config["LANGUAGES"]]


def default_language() -> str:
    return language_of(current_app.config.get("DEFAULT_LOCALE") or "en")


def current_language() -> str:
    """The language this page is read in: "en", "ar"."""
    return language_of(get_locale()) or default_language()


def language_choices() -> list[dict]:
    """The switcher on every page: each language, its link back to this page, and which is current."""
    current = language_of(get_locale())
    return [
        {"code": code, "name": _native_name(code), "url": language_switch_url(code), "current": code == current,
         "dir": "rtl" if code in RTL_LANGUAGES else "ltr"}
        for code in current_app.config["LANGUAGES"]
    ]


def html_lang() -> str:
    """BCP 47 for the lang attribute: "en-GB", "ar"."""
    locale = get_locale()
    return str(locale).replace("_", "-") if locale is not None else "en"


def text_direction() -> str:
    locale = get_locale()
    return "rtl" if locale is not None and locale.language in RTL_LANGUAGES else "ltr"


def language_direction(code: str | None) -> str:
    """"rtl" or "ltr" for text written in ``code`` ("ar", "ur-PK", "en"): an article keeps its own direction."""
    return "rtl" if (code or "").split("-")[0].split("_")[0].lower() in RTL_LANGUAGES else "ltr"


def http_url(value: str | None) -> str:
    """A stored link as an href only if it is http(s): forms refuse others, and this holds for rows
    written any other way (imports, the shell, an old bug)."""
    return value if value and is_http_url(value) else "#"


def event_details(event, everything: bool = False) -> details.Details:
    """Where an event is, as anyone may see it (public lists), or all of it (``everything``: the team's pages)."""
    return details.everything(event) if everything else details.details_for(event)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["http_url"] = http_url
    app.jinja_env.filters["bdi"] = bidi
    app.jinja_env.filters["markdown"] = render_markdown
    app.jinja_env.filters["event_datetime"] = event_datetime
    app.jinja_env.filters["event_time"] = event_time
    app.jinja_env.filters["short_date"] = short_date
    app.jinja_env.filters["month_abbreviation"] = month_abbreviation
    app.jinja_env.filters["utc_datetime"] = utc_datetime
    app.jinja_env.globals["text_direction"] = text_direction
    app.jinja_env.globals["language_direction"] = language_direction
    app.jinja_env.globals["get_locale"] = get_locale
    app.jinja_env.globals["html_lang"] = html_lang
    app.jinja_env.globals["language_choices"] = language_choices
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.globals["default_language"] = default_language
    app.jinja_env.globals["language_name"] = _native_name
    app.jinja_env.globals["event_details"] = event_details
    Locale.parse(app.config.get("DEFAULT_LOCALE") or "en")  # an unknown DEFAULT_LOCALE stops the app here
