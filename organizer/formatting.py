"""Dates and times as people read them, in the event's zone and the current locale (Babel). Used by templates
(through ``templating``), by services for their messages and by the rendering layer; imports no app layer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time, get_datetime_format
from flask_babel import get_locale

from organizer.timeutil import to_local

# Where a house style differs from CLDR: British usage writes "Saturday 12 December 2026" (GOV.UK style),
# CLDR's en_GB has "Saturday, 12 December 2026". Other locales (ar...) use Babel's own formats.
FULL_DATE_PATTERNS = {"en_GB": "EEEE d MMMM y"}


def full_date(day, locale=None) -> str:
    locale = locale or get_locale()
    return format_date(day, format=FULL_DATE_PATTERNS.get(str(locale), "full"), locale=locale)


def event_datetime(utc_naive: datetime | None, timezone: str, fmt: str = "full") -> str:
    """'Thursday 1 March 2012, 19:00 GMT' (en_GB), always naming the event's zone."""
    if utc_naive is None:
        return ""
    local = to_local(utc_naive, timezone)
    locale = get_locale()
    date_part = full_date(local.date(), locale) if fmt == "full" else format_date(local.date(), format="medium",
                                                                                    locale=locale)
    time_part = _time_and_zone(local, locale)
    # The locale's own glue: "{1}, {0}" in English, "{1}، {0}" (the Arabic comma) in Arabic.
    return str(get_datetime_format("medium", locale=locale)).replace("{1}", date_part).replace("{0}", time_part)


def event_time(utc_naive: datetime, timezone: str) -> str:
    return _time_and_zone(to_local(utc_naive, timezone), get_locale())


# Languages written right to left (the page's dir, the mark after a time's zone).
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def _time_and_zone(local: datetime, locale) -> str:
    """"19:00 GMT". In a right-to-left language a right-to-left mark follows the Latin zone name, so
    that "19:00 GMT – 21:00 GMT" is not read as one left-to-right run ("GMT 21:00 – GMT"); marks are
    not bidi controls that finalize drops, and text mails, pages and files can all carry them."""
    text = f"{format_time(local, format='HH:mm', locale=locale)} {zone_abbreviation(local)}"
    if locale is not None and getattr(locale, "language", "") in RTL_LANGUAGES:
        text += "\u200f"
    return text


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


def month_abbreviation(local: datetime) -> str:
    """The month over a date block's day: "Dec" in English, the locale's own in others (strftime's "%b" is
    the C library's English whatever the page's language)."""
    return format_date(local, format="LLL", locale=get_locale())


def utc_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value.replace(tzinfo=ZoneInfo("UTC")), format="medium", locale=get_locale()) + " UTC"
