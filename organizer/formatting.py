"""Dates and times as people read them, in the event's zone and the current locale (Babel). Used by templates
(through ``templating``), by services for their messages and by the rendering layer; imports no app layer."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from flask_babel import get_locale

from organizer.timeutil import to_local


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
