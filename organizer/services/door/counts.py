"""Attendance figures (going, checked in, walk-ins, crowd), and this process's short reuse of them
with its own taps applied as they happen."""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from sqlalchemy import case, func, select

from organizer.extensions import db
from organizer.models import (
    CrowdCountEntry,
    Event,
    Rsvp,
    RsvpSource,
    RsvpStatus,
)
from organizer.services.door.log import checked_in_expression, current_entries


@dataclass(frozen=True)
class Attendance:
    """Who came. "Going" and "checked in" count people who RSVPed online; walk-ins are apart."""

    going_rsvps: int = 0
    going_people: int = 0  # going online RSVPs plus their guests
    checked_in_rsvps: int = 0  # of those, checked in now
    checked_in_people: int = 0
    walk_ins: int = 0  # walk-ins checked in (one person each)
    crowd: int = 0  # the crowd counter, kept apart from named check-ins

    @property
    def named_people(self) -> int:
        """Everyone checked in by name: RSVPs with their guests, plus walk-ins."""
        return self.checked_in_people + self.walk_ins

    @property
    def turnout_rate(self) -> float | None:
        """Share of the people who said they were going who were checked in (None if nobody said so)."""
        if self.going_people == 0:
            return None
        return self.checked_in_people / self.going_people


def attendances(events: list[Event]) -> dict[int, Attendance]:
    """Attendance for many events in two queries."""
    if not events:
        return {}
    ids = [event.id for event in events]
    current = current_entries(ids)
    checked = checked_in_expression(current)
    people = 1 + Rsvp.guests
    online = Rsvp.source == RsvpSource.ONLINE
    rows = db.session.execute(
        select(
            Rsvp.event_id,
            func.sum(case((online, 1), else_=0)),
            func.sum(case((online, people), else_=0)),
            func.sum(case((online, checked), else_=0)),
            func.sum(case((online, checked * people), else_=0)),
            func.sum(case((online, 0), else_=checked * people)),
        )
        .outerjoin(current, current.c.rsvp_id == Rsvp.id)
        .where(Rsvp.event_id.in_(ids), Rsvp.status == RsvpStatus.GOING)
        .group_by(Rsvp.event_id)
    ).all()
    crowds = dict(
        db.session.execute(
            select(CrowdCountEntry.event_id, func.sum(CrowdCountEntry.delta))
            .where(CrowdCountEntry.event_id.in_(ids))
            .group_by(CrowdCountEntry.event_id)
        ).all()
    )
    by_event = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    return {
        event_id: replace(Attendance(*by_event.get(event_id, ())), crowd=int(crowds.get(event_id) or 0))
        for event_id in ids
    }


_recent: dict[int, tuple[float, Attendance]] = {}


def attendance(event: Event, max_age: float = 0) -> Attendance:
    """One event's attendance. With ``max_age`` (seconds), figures this process computed at most that
    long ago are reused: the door list and the answer to every tap show them, and counting 10,000
    RSVPs on each was most of their cost (bench/README.md). This process's own check-ins, undos,
    walk-ins and crowd changes are applied to them as they happen; other processes' show within
    ``max_age``, as do RSVPs taken or cancelled meanwhile."""
    if max_age > 0:
        recent = _recent.get(event.id)
        if recent is not None and recent[0] > time.monotonic():
            return recent[1]
    figures = attendances([event])[event.id]
    if max_age > 0:
        if len(_recent) > 1000:
            _recent.clear()
        _recent[event.id] = (time.monotonic() + max_age, figures)
    return figures


def forget_attendance(event_id: int) -> None:
    _recent.pop(event_id, None)


def count_tap(rsvp: Rsvp, checked_in: bool) -> None:
    """Apply this process's own check-in or undo to its recent figures (no recount on every tap)."""
    recent = _recent.get(rsvp.event_id)
    if recent is None:
        return
    if rsvp.status is not RsvpStatus.GOING:  # not counted by attendances() either way
        return
    sign = 1 if checked_in else -1
    people = 1 + (rsvp.guests or 0)
    figures = recent[1]
    if rsvp.source is RsvpSource.WALK_IN:
        figures = replace(figures, walk_ins=figures.walk_ins + sign * people)
    else:
        figures = replace(figures, checked_in_rsvps=figures.checked_in_rsvps + sign,
                          checked_in_people=figures.checked_in_people + sign * people)
    _recent[rsvp.event_id] = (recent[0], figures)


def count_crowd(event_id: int, delta: int) -> None:
    recent = _recent.get(event_id)
    if recent is not None:
        _recent[event_id] = (recent[0], replace(recent[1], crowd=recent[1].crowd + delta))
