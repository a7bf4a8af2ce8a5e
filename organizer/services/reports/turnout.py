"""Turnout: who said they'd come, who came, and how RSVPs arrived over time.

Built from rows in a fixed number of queries: capacity.summaries for RSVP counts, door_counts.attendances
for check-ins, walk-ins and the crowd count.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Campaign, Event, EventStatus, Rsvp, RsvpSource
from organizer.services.door import counts as door_counts
from organizer.services.door.counts import Attendance
from organizer.services.rsvp import capacity
from organizer.services.rsvp.capacity import RsvpSummary
from organizer.timeutil import to_local, utcnow

MAX_TIMELINE_DAYS = 400


@dataclass(frozen=True)
class DayCount:
    day: date
    new: int  # RSVPs received that day (online)
    total: int  # received up to and including that day


@dataclass(frozen=True)
class EventTurnout:
    event: Event
    rsvps: RsvpSummary
    attendance: Attendance
    timeline: list[DayCount]


@dataclass(frozen=True)
class EventRow:
    event: Event
    rsvps: RsvpSummary
    attendance: Attendance


def rsvp_timeline(event: Event) -> list[DayCount]:
    """Online RSVPs received per day in the event's timezone, from the first to the last (or today)."""
    per_day: dict[date, int] = {}
    created = db.session.scalars(
        select(Rsvp.created_at)
        .where(Rsvp.event_id == event.id, Rsvp.source == RsvpSource.ONLINE)
        .execution_options(yield_per=2000)
    )
    for created_at in created:
        day = to_local(created_at, event.timezone).date()
        per_day[day] = per_day.get(day, 0) + 1
    if not per_day:
        return []
    first = min(per_day)
    last = max(per_day)
    # Carry the line on to the event day (or today, if sooner), so a quiet last week shows as flat.
    horizon = min(to_local(event.starts_at, event.timezone).date(), to_local(utcnow(), event.timezone).date())
    last = max(last, horizon)
    if (last - first).days > MAX_TIMELINE_DAYS:
        first = last - timedelta(days=MAX_TIMELINE_DAYS)
    days = []
    total = sum(count for day, count in per_day.items() if day < first)
    current = first
    while current <= last:
        new = per_day.get(current, 0)
        total += new
        days.append(DayCount(current, new, total))
        current += timedelta(days=1)
    return days


def event_turnout(event: Event) -> EventTurnout:
    return EventTurnout(event, capacity.summary(event), door_counts.attendance(event), rsvp_timeline(event))


def people_who_came(event: Event) -> int:
    """The most people we know came, for the public page of a meeting that is over: the crowd count or
    everyone checked in by name (guests and walk-ins included), whichever is larger. Never their sum:
    a crowd count can include people who were also checked in. 0 when nobody counted."""
    figures = door_counts.attendance(event)
    return max(figures.crowd, figures.named_people)


def campaign_events(campaign: Campaign) -> list[Event]:
    """The campaign's events that have (or had) an audience: published and cancelled, oldest first."""
    return list(
        db.session.scalars(
            select(Event)
            .where(Event.campaign_id == campaign.id, Event.status != EventStatus.DRAFT)
            .order_by(Event.starts_at, Event.id)
        )
    )


def campaign_turnout(campaign: Campaign) -> list[EventRow]:
    events = campaign_events(campaign)
    summaries = capacity.summaries(events)
    figures = door_counts.attendances(events)
    return [EventRow(event, summaries[event.id], figures[event.id]) for event in events]


def percent(rate: float | None) -> str:
    return "\u2013" if rate is None else f"{rate * 100:.0f}%"
