"""Capacity: the event lock and the count of places, each written once.

Remaining places come from the rows (going RSVPs plus their guests). Every change that can take or free
a place runs with the event row locked (``lock_event``), so two supporters pressing the button at once
are placed one after the other and the event is never oversold. The crowd counter takes the same lock
(services/door/crowd.py).

A new RSVP reads the places taken from ``rsvp_tally`` (``TALLY_GOING`` and ``TALLY_WAITING``, in the one
read rsvps.read_under_lock makes under the lock; ``places_taken`` alone), one row the database keeps by
triggers in the same transaction as every change to an RSVP, instead of counting the event's rows while
every other RSVP to the event waits for the lock; everything else counts the rows (``summary``).
tests/services/test_rsvp_tally.py holds the two to the same figures after every kind of change."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm.attributes import set_committed_value

from organizer.database import is_sqlite, rowcount
from organizer.extensions import db
from organizer.models import (
    Event,
    Rsvp,
    RsvpStatus,
    RsvpTally,
)
from organizer.services.common.errors import NotFound


@dataclass(frozen=True)
class RsvpSummary:
    going_people: int = 0  # going RSVPs plus their guests
    going_rsvps: int = 0
    guests: int = 0
    waitlisted_people: int = 0
    waitlisted_rsvps: int = 0
    cancelled_rsvps: int = 0
    capacity: int | None = None
    pending_rsvps: int = 0  # waiting for an organizer's approval: they take no place yet

    @property
    def places_left(self) -> int | None:
        if self.capacity is None:
            return None
        return max(self.capacity - self.going_people, 0)

    @property
    def is_full(self) -> bool:
        return self.capacity is not None and self.going_people >= self.capacity


def summaries(events: list[Event]) -> dict[int, RsvpSummary]:
    """Counts for many events in one query (dashboards, listings).

    Grouped by status, so PostgreSQL only counts and adds (half the time of a CASE per row at
    10,000 RSVPs) and reads ix_rsvp_event_status_created alone, which includes ``guests``."""
    if not events:
        return {}
    rows = db.session.execute(
        select(Rsvp.event_id, Rsvp.status, func.count(), func.sum(Rsvp.guests))
        .where(Rsvp.event_id.in_([event.id for event in events]))
        .group_by(Rsvp.event_id, Rsvp.status)
    ).all()
    by_event: dict[int, dict[RsvpStatus, tuple[int, int]]] = {}
    for event_id, status, rsvp_count, guests in rows:
        by_event.setdefault(event_id, {})[status] = (int(rsvp_count), int(guests or 0))
    result = {}
    for event in events:
        found = by_event.get(event.id, {})
        going, going_guests = found.get(RsvpStatus.GOING, (0, 0))
        waitlisted, waitlisted_guests = found.get(RsvpStatus.WAITLISTED, (0, 0))
        result[event.id] = RsvpSummary(
            going_people=going + going_guests,
            going_rsvps=going,
            guests=going_guests,
            waitlisted_people=waitlisted + waitlisted_guests,
            waitlisted_rsvps=waitlisted,
            cancelled_rsvps=found.get(RsvpStatus.CANCELLED, (0, 0))[0],
            capacity=event.capacity,
            pending_rsvps=found.get(RsvpStatus.PENDING, (0, 0))[0],
        )
    return result


def summary(event: Event) -> RsvpSummary:
    return summaries([event])[event.id]


def places_taken(event: Event) -> RsvpSummary:
    """Under the event lock, read on its own (a new RSVP reads it with more: rsvps.read_under_lock): the
    going people and the waiting RSVPs, from the event's ``rsvp_tally`` row. Only those two and the
    capacity are filled in: what ``fits`` and ``places_left`` need."""
    going, waiting = db.session.execute(_TALLY, {"event_id": event.id}).one()
    return from_tally(event, going, waiting)


def from_tally(event: Event, going_people: int | None, waitlisted_rsvps: int | None) -> RsvpSummary:
    """``places_taken`` from the two tally columns read by TALLY_GOING and TALLY_WAITING, which a caller
    may read in one statement with more it needs under the lock (rsvps.read_under_lock). No tally row
    (None): no RSVP yet."""
    return RsvpSummary(going_people=going_people or 0, waitlisted_rsvps=waitlisted_rsvps or 0,
                       capacity=event.capacity)


TALLY_GOING = (select(RsvpTally.going_people).where(RsvpTally.event_id == bindparam("event_id"))
               .scalar_subquery().label("going_people"))
TALLY_WAITING = (select(RsvpTally.waitlisted_rsvps).where(RsvpTally.event_id == bindparam("event_id"))
                 .scalar_subquery().label("waitlisted_rsvps"))
_TALLY = select(TALLY_GOING, TALLY_WAITING)


def _for_update(query, event_id: int, *, key_share: bool = True):
    """``query`` made to lock the event row until the transaction ends: the one way every lock here is taken.

    PostgreSQL: ``SELECT ... FOR NO KEY UPDATE``, which two lockers of one event cannot both hold,
    while rows that refer to the event can still be written meanwhile: their foreign-key checks take
    a KEY SHARE lock on it, which FOR UPDATE would make wait (a tap at the door behind an RSVP), and a
    transaction changing several of the event's RSVPs would deadlock with an RSVP waiting for the
    ``rsvp_tally`` row it holds. SQLite has no row locks; pysqlite runs SELECTs outside a
    transaction and opens one at the first write, so a no-op UPDATE takes SQLite's single write lock
    first (other writers wait on busy_timeout), and everything counted afterwards is current.
    """
    if is_sqlite(db.session):
        result = db.session.execute(text("UPDATE event SET id = id WHERE id = :id"), {"id": event_id})
        if rowcount(result) == 0:
            raise NotFound(_("No such event."))
        return query
    return query.with_for_update(of=Event, key_share=key_share)


def lock_event(event_id: int, *, for_deletion: bool = False) -> Event:
    """Lock the event row until the transaction ends and return the event, freshly loaded.

    ``for_deletion``: FOR UPDATE, which also makes rows that would refer to the event wait (a walk-in
    at the door takes no event lock), so none slips in between the check and the delete."""
    event = db.session.scalar(
        _for_update(select(Event).where(Event.id == event_id), event_id, key_share=not for_deletion)
        .execution_options(populate_existing=True)
    )
    if event is None:
        raise NotFound(_("No such event."))
    return event


def relock(rsvp: Rsvp) -> tuple[Event, Rsvp]:
    """The RSVP's event locked, and the RSVP read again under the lock."""
    event = lock_event(rsvp.event_id)
    db.session.refresh(rsvp)
    return event, rsvp


def queue_position(event_id: int, rsvp_id: int, created_at: datetime) -> int:
    """A waitlisted RSVP's place in the queue (1 is next): those who arrived before it, plus one."""
    ahead = db.session.scalar(
        select(func.count(Rsvp.id)).where(
            Rsvp.event_id == event_id,
            Rsvp.status == RsvpStatus.WAITLISTED,
            (Rsvp.created_at < created_at) | ((Rsvp.created_at == created_at) & (Rsvp.id < rsvp_id)),
        )
    )
    return int(ahead or 0) + 1


def waitlist_position(rsvp: Rsvp) -> int | None:
    """1 for the first in the queue; None unless waitlisted."""
    if rsvp.status is not RsvpStatus.WAITLISTED:
        return None
    return queue_position(rsvp.event_id, rsvp.id, rsvp.created_at)


def fits(party: int, counts: RsvpSummary) -> bool:
    return counts.capacity is None or party <= counts.capacity - counts.going_people


def lock_for_new_rsvp(event: Event) -> None:
    """``lock_event`` for ``create_rsvp``: the same row lock, but only what can have changed while we
    waited for it (status, end, deadline, capacity, approval) is read back, as plain columns into ``event``.

    The event was loaded moments ago by the request; its questions, email policy and guest limit had
    already checked the input before the lock, as they always did. A full ORM reload with
    ``populate_existing`` cost more CPU than any other statement of an RSVP."""
    row = db.session.execute(_for_update(_CHANGEABLE, event.id), {"event_id": event.id}).one_or_none()
    if row is None:
        raise NotFound(_("No such event."))
    for column, value in zip(_CHANGEABLE_COLUMNS, row, strict=True):
        set_committed_value(event, column.key, value)


_CHANGEABLE_COLUMNS = (Event.status, Event.ends_at, Event.rsvp_deadline, Event.capacity, Event.requires_approval)
_CHANGEABLE = select(*_CHANGEABLE_COLUMNS).where(Event.id == bindparam("event_id"))
