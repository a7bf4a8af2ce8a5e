"""Calendar files (iCalendar, RFC 5545) with the icalendar library.

Times are written in the event's own zone (``DTSTART;TZID=Europe/London``) with a matching VTIMEZONE,
so calendars show the right wall-clock time even across clock changes. A cancelled event keeps its
UID and says ``STATUS:CANCELLED`` with a higher SEQUENCE, so a calendar that imported it updates it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app
from icalendar import Calendar, vCalAddress, vText
from icalendar import Event as VEvent

from organizer.models import Campaign, Event, EventStatus, Rsvp
from organizer.rendering import timezones
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


def _in_zone(utc_naive: datetime, zone: ZoneInfo) -> datetime:
    """The time in the event's zone; in UTC when that wall-clock time happens twice (the hour the clocks go
    back): RFC 5545 reads a repeated local time as its first occurrence, and libical as its second, so only
    UTC says which one is meant."""
    local = utc_naive.replace(tzinfo=UTC).astimezone(zone)
    if local.replace(fold=1 - local.fold).utcoffset() != local.utcoffset():
        return utc_naive.replace(tzinfo=UTC)
    return local


def _vevent(event: Event, details: Details) -> VEvent:
    zone = ZoneInfo(event.timezone)
    url = _event_url(event)
    item = VEvent()
    item.add("uid", _uid(event))
    item.add("dtstamp", utcnow().replace(tzinfo=UTC))
    item.add("dtstart", _in_zone(event.starts_at, zone))
    item.add("dtend", _in_zone(event.ends_at, zone))
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
        organizer = _organizer(event.campaign)
        if organizer is not None:
            item.add("organizer", organizer)
    return item


def _organizer(campaign: Campaign) -> vCalAddress | None:
    """The campaign as ORGANIZER (its name, its contact address): calendar programs show who invites and
    whom to write to. An ORGANIZER is an address (RFC 5545 cal-address), so without one there is none."""
    email = (campaign.contact_email or "").strip()
    if not email:
        return None
    address = vCalAddress(f"mailto:{email}")
    address.params["CN"] = vText(campaign.name)
    return address


def _calendar(events: list[Event], name: str | None = None, rsvp: Rsvp | None = None) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name:
        calendar.add("x-wr-calname", name)
    items = [_vevent(event, details_for(event, rsvp)) for event in events]
    if events:
        # Our own VTIMEZONEs (rendering/timezones.py: icalendar's put daylight saving's start an hour late),
        # for each zone the events' times name, a year either side of them.
        first = max(min(event.starts_at for event in events) - timedelta(days=366), datetime(1970, 1, 1))
        last = max(event.ends_at for event in events) + timedelta(days=366)
        zones = sorted({str(item[key].params["TZID"]) for item in items for key in ("dtstart", "dtend")
                        if key in item and "TZID" in item[key].params})
        for zone in zones:
            calendar.add_component(timezones.vtimezone(zone, first.replace(tzinfo=UTC), last.replace(tzinfo=UTC)))
    for item in items:
        calendar.add_component(item)
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
           event.campaign.name if event.campaign is not None else "",
           event.campaign.contact_email if event.campaign is not None else None, current_app.config["BASE_URL"])
    now = time.monotonic()
    recent = _recent_ics.get(key)
    if recent is not None and recent[0] > now:
        return recent[1]
    data = _calendar([event], rsvp=rsvp)
    if len(_recent_ics) > 256:
        _recent_ics.clear()
    _recent_ics[key] = (now + ICS_REUSE_SECONDS, data)
    return data


@dataclass(frozen=True)
class Subscription:
    """How the campaign page offers its feed: the address to paste, and the same with webcal://, which
    opens the visitor's calendar program (Apple Calendar, Outlook) ready to subscribe."""

    url: str
    webcal: str


def subscription(campaign: Campaign) -> Subscription:
    url = absolute_url("rsvp.campaign_ics", slug=campaign.slug)
    return Subscription(url=url, webcal="webcal://" + url.split("://", 1)[1])


def campaign_ics(campaign: Campaign, events: Iterable[Event] | None = None) -> bytes:
    """A subscribable feed of the campaign's upcoming public events."""
    events = list(events) if events is not None else events_service.campaign_feed_events(campaign)
    return _calendar(events, name=campaign.name)
