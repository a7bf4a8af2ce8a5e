"""VTIMEZONE components (RFC 5545 §3.6.5) made from the system's tz database, checked against libical.

icalendar's ``add_missing_timezones`` writes each daylight-saving start with the wall-clock time *after*
the change (London: ``DTSTART:...T020000`` with ``TZOFFSETFROM:+0000``), but an observance's DTSTART is
the local time *before* it, in TZOFFSETFROM: 01:00 GMT is when London's clocks go forward, so calendar
programs moved every time in that hour by an hour. Here every observance starts at the instant of the
change written in the offset that was in force until then (instant + TZOFFSETFROM).

The changes are found by walking the range in half-day steps and narrowing each change down to the
second; every zone in use changes its offset at most a few times a year, and never twice in 12 hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

STEP = timedelta(hours=12)


@dataclass(frozen=True)
class Transition:
    at: datetime  # the first instant (UTC) of the new offset
    offset_from: timedelta
    offset_to: timedelta
    name: str
    daylight: bool


def _state(zone: ZoneInfo, instant: datetime) -> tuple[timedelta, str, bool]:
    local = instant.astimezone(zone)
    return local.utcoffset() or timedelta(0), local.tzname() or "", bool(local.dst())


def transitions(zone: ZoneInfo, start: datetime, end: datetime) -> list[Transition]:
    """Every change of offset, name or daylight saving between two UTC instants."""
    found: list[Transition] = []
    before, state = start, _state(zone, start)
    while before < end:
        after = min(before + STEP, end)
        after_state = _state(zone, after)
        if after_state != state:
            low, high = before, after  # state holds at low, after_state at high: narrow to the second
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _state(zone, middle) == state:
                    low = middle
                else:
                    high = middle
            offset_to, name, daylight = _state(zone, high)
            found.append(Transition(high, state[0], offset_to, name, daylight))
            state = after_state
        before = after
    return found


def vtimezone(name: str, start: datetime, end: datetime) -> Timezone:
    """The VTIMEZONE of ``name`` valid from ``start`` to ``end`` (aware datetimes)."""
    zone = ZoneInfo(name)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    offset, tzname, daylight = _state(zone, start)
    # The first observance says what holds at the start of the range (no change: FROM equals TO).
    changes = [Transition(start, offset, offset, tzname, daylight), *transitions(zone, start, end)]
    groups: dict[tuple, list[datetime]] = {}
    for change in changes:
        local_before = (change.at + change.offset_from).replace(tzinfo=None, microsecond=0)
        key = (change.daylight, change.name, change.offset_from, change.offset_to)
        groups.setdefault(key, []).append(local_before)

    component = Timezone()
    component.add("tzid", name)
    for (is_daylight, tzname, offset_from, offset_to), starts in groups.items():
        observance = TimezoneDaylight() if is_daylight else TimezoneStandard()
        observance.add("dtstart", starts[0])
        if len(starts) > 1:
            observance.add("rdate", starts[1:])
        if tzname:
            observance.add("tzname", tzname)
        observance.add("tzoffsetfrom", offset_from)
        observance.add("tzoffsetto", offset_to)
        component.add_component(observance)
    return component
