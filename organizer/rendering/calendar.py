"""Calendar files (iCalendar, RFC 5545) with the icalendar library.

Times are written in the event's own zone (``DTSTART;TZID=Europe/London``) with a matching VTIMEZONE,
so calendars show the right wall-clock time even across clock changes. A cancelled event keeps its
UID and says ``STATUS:CANCELLED`` with a higher SEQUENCE, so a calendar that imported it updates it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, date, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar
from icalendar import Event as VEvent

from organizer.models import Campaign, Event, EventStatus, Rsvp
from organizer.services.events import listings as events_service
from organizer.services.events.details import Details, details_for
from organizer.timeutil import utcnow
from organizer.urls import absolute_url

PRODUCT_ID = "-//Organizer//Organizer events//EN"


def _uid(event: Event) -> str:
    host = urlsplit(current_app.config["BASE_URL"]).hostname or "organizer.invalid"
    return f"event-{event.id}@{host}"


def _event_url(event: Event) -> str:
    return absolute_url("public.event", slug=event.slug)


def location_of(event: Event, rsvp: Rsvp | None = None) -> str:
    """Where, as its reader may see it: ``rsvp`` is theirs, None for anyone (services/events/details.py)."""
    return details_for(event, rsvp).location


def _sequence(event: Event) -> int:
    """Grows whenever the event is edited (seconds between creation and the last change)."""
    if event.updated_at is None or event.created_at is None:
        return 0
    return max(int((event.updated_at - event.created_at).total_seconds()), 0)


def _vevent(event: Event, details: Details) -> VEvent:
    zone = ZoneInfo(event.timezone)
    url = _event_url(event)
    item = VEvent()
    item.add("uid", _uid(event))
    item.add("dtstamp", utcnow().replace(tzinfo=UTC))
    item.add("dtstart", event.starts_at.replace(tzinfo=UTC).astimezone(zone))
    item.add("dtend", event.ends_at.replace(tzinfo=UTC).astimezone(zone))
    item.add("summary", event.title)
    description = (event.description or "").strip()
    if details.notes:
        description = f"{description}\n\n{details.notes}" if description else details.notes
    item.add("description", f"{description}\n\n{url}" if description else url)
    location = details.location
    if location:
        item.add("location", location)
    item.add("url", url)
    item.add("status", "CANCELLED" if event.status is EventStatus.CANCELLED else "CONFIRMED")
    item.add("sequence", _sequence(event))
    if event.updated_at is not None:
        item.add("last-modified", event.updated_at.replace(tzinfo=UTC))
    organizer_name = event.campaign.name if event.campaign is not None else ""
    if organizer_name:
        item.add("categories", [organizer_name])
    return item


def _calendar(events: list[Event], name: str | None = None, rsvp: Rsvp | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_vevent(event, details_for(event, rsvp)))
    if events:
        first = min(event.starts_at for event in events).date() - timedelta(days=366)
        last = max(event.ends_at for event in events).date() + timedelta(days=366)
        calendar.add_missing_timezones(first_date=max(first, date(1970, 1, 1)), last_date=last)
    return calendar.to_ical()


ICS_REUSE_SECONDS = 60
_recent_ics: dict[tuple, tuple[float, bytes]] = {}


def event_ics(event: Event, rsvp: Rsvp | None = None) -> bytes:
    """One event, for "Add to calendar" and the confirmation email: with the details ``rsvp`` (the
    reader's own, None for anyone) may see, so the public file never holds what is kept for people coming.

    Each process reuses the file it built for the same version of the event for up to a minute:
    every RSVP's confirmation attaches it, and building it with icalendar took ~4 ms of each RSVP
    (bench/README.md). Any edit changes ``updated_at`` and so makes a new one at once.

    Exact, not merely short-lived: the key is the version of every row the file is made from (the event's
    ``updated_at``, which each change bumps, and the campaign's name), and both callers read committed
    rows in a transaction that writes nothing (the worker after the change committed, the .ics GET), so
    no entry is ever made from a change that could still roll back."""
    details = details_for(event, rsvp)
    # The details shown are part of the key: a file made for someone going is never reused for anyone else.
    key = (event.id, event.updated_at, event.status, event.slug, details,
           event.campaign.name if event.campaign is not None else "", current_app.config["BASE_URL"])
    now = time.monotonic()
    recent = _recent_ics.get(key)
    if recent is not None and recent[0] > now:
        return recent[1]
    data = _calendar([event], rsvp=rsvp)
    if len(_recent_ics) > 256:
        _recent_ics.clear()
    _recent_ics[key] = (now + ICS_REUSE_SECONDS, data)
    return data


def campaign_ics(campaign: Campaign, events: Iterable[Event] | None = None) -> bytes:
    """A subscribable feed of the campaign's upcoming public events."""
    events = list(events) if events is not None else events_service.campaign_feed_events(campaign)
    return _calendar(events, name=campaign.name)
