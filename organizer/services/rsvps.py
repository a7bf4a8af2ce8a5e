"""RSVPs: capacity, the waitlist and its automatic promotion.

Remaining places are always counted from rows (going RSVPs plus their guests), never kept in a counter.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import case, func, select

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus


@dataclass(frozen=True)
class RsvpSummary:
    going_people: int = 0  # going RSVPs plus their guests
    going_rsvps: int = 0
    guests: int = 0
    waitlisted_people: int = 0
    waitlisted_rsvps: int = 0
    cancelled_rsvps: int = 0
    capacity: int | None = None

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.going_people, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.going_people >= self.capacity


def summaries(events: list[Event]) -> dict[int, RsvpSummary]:
    """Counts for many events in one query (dashboards, listings)."""
    if not events:
        return {}
    people = 1 + Rsvp.guests
    rows = db.session.execute(
        select(
            Rsvp.event_id,
            func.sum(case((Rsvp.status == RsvpStatus.GOING, people), else_=0)),
            func.sum(case((Rsvp.status == RsvpStatus.GOING, 1), else_=0)),
            func.sum(case((Rsvp.status == RsvpStatus.GOING, Rsvp.guests), else_=0)),
            func.sum(case((Rsvp.status == RsvpStatus.WAITLISTED, people), else_=0)),
            func.sum(case((Rsvp.status == RsvpStatus.WAITLISTED, 1), else_=0)),
            func.sum(case((Rsvp.status == RsvpStatus.CANCELLED, 1), else_=0)),
        )
        .where(Rsvp.event_id.in_([event.id for event in events]))
        .group_by(Rsvp.event_id)
    ).all()
    by_event = {row[0]: [int(value or 0) for value in row[1:]] for row in rows}
    return {
        event.id: RsvpSummary(*by_event.get(event.id, [0] * 6), capacity=event.capacity)
        for event in events
    }


def summary(event: Event) -> RsvpSummary:
    return summaries([event])[event.id]
