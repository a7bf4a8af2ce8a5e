"""Checking ``rsvp_tally`` against the rows it stands for, and mending it.

Triggers on ``rsvp`` keep each event's tally in the transaction of every change (migration 0020). Only
what runs without them can leave it wrong: a TRUNCATE of ``rsvp``, a restore of ``rsvp`` without
``rsvp_tally`` or with triggers off, SQL run with ``session_replication_role = replica``. A wrong tally
makes new RSVPs see the wrong places left: an event refuses places it has, or takes more than its
capacity. ``flask tally check`` lists such events (``check``); ``flask tally repair`` counts each one's rows
again under the event lock an RSVP to it takes, and writes the tally the rows give (``repair``).

Both run safely beside the app's own writes: every change to an RSVP's place takes the event lock, and a
walk-in at the door, which takes none, waits in its trigger for the tally row that both lock. Bulk SQL on
``rsvp`` must not run at the same time: while an event's tally row is missing (a restore without it) a
deletion or a change of status elsewhere finds no row to take from, and the repair can count it and keep it.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, select, update

from organizer.database import DIALECTS, dialect_name, insert_for
from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpTally
from organizer.services.common.errors import NotFound
from organizer.services.rsvp import capacity

# Events are loaded and counted this many at a time (one IN list each).
BATCH = 500


@dataclass(frozen=True)
class Places:
    going_people: int
    waitlisted_rsvps: int


@dataclass(frozen=True)
class Disagreement:
    event_id: int
    slug: str
    kept: Places  # what rsvp_tally says (nothing kept: no RSVP, 0 and 0)
    counted: Places  # what the event's RSVP rows say


def _counted(summary: capacity.RsvpSummary) -> Places:
    return Places(summary.going_people, summary.waitlisted_rsvps)


def _batches(event_ids: list[int]) -> Iterator[list[Event]]:
    for start in range(0, len(event_ids), BATCH):
        chunk = event_ids[start:start + BATCH]
        yield list(db.session.scalars(select(Event).where(Event.id.in_(chunk)).order_by(Event.id)))


def disagreements() -> list[Disagreement]:
    """Every event whose tally says something other than its rows, in the order of their ids, as read in a few
    statements: on a live site an RSVP taken between them shows up here too (``check`` reads each again)."""
    kept = {event_id: Places(going, waiting) for event_id, going, waiting in db.session.execute(
        select(RsvpTally.event_id, RsvpTally.going_people, RsvpTally.waitlisted_rsvps))}
    with_rsvps = set(db.session.scalars(select(Rsvp.event_id).distinct()))
    found = []
    for events in _batches(sorted(with_rsvps | set(kept))):
        counted = capacity.summaries(events)
        for event in events:
            places = _counted(counted[event.id])
            in_tally = kept.get(event.id, Places(0, 0))
            if places != in_tally:
                found.append(Disagreement(event.id, event.slug, in_tally, places))
    return found


_ENSURE_ROW = {
    name: insert_for(name)(RsvpTally.__table__).values(
        event_id=bindparam("event_id"), going_people=0, waitlisted_rsvps=0).on_conflict_do_nothing()
    for name in DIALECTS
}
_KEPT_FOR_UPDATE = (select(RsvpTally.going_people, RsvpTally.waitlisted_rsvps)
                    .where(RsvpTally.event_id == bindparam("event_id")).with_for_update())


def _under_lock(event_id: int, *, make_row: bool = False) -> tuple[Event, Places, Places]:
    """The event, what its tally holds and what its rows say, read with the event and its tally row locked
    (``make_row``: made first when missing, after the event lock, as an RSVP's trigger makes it). The tally
    row is locked before the rows are counted, in a statement of their own: a walk-in (no event lock) waits
    for it in its trigger, or has committed and is counted. NotFound: the event was deleted."""
    event = capacity.lock_event(event_id)
    if make_row:
        db.session.execute(_ENSURE_ROW[dialect_name(db.session)], {"event_id": event_id})
    row = db.session.execute(_KEPT_FOR_UPDATE, {"event_id": event_id}).one_or_none()
    kept = Places(*row) if row is not None else Places(0, 0)
    return event, kept, _counted(capacity.summary(event))


def check() -> list[Disagreement]:
    """``disagreements``, each read again under its event's lock and kept only if it still disagrees: one short
    transaction per event, rolled back. Events deleted meanwhile are left out."""
    candidates = [found.event_id for found in disagreements()]
    db.session.rollback()
    confirmed = []
    for event_id in candidates:
        try:
            event, kept, places = _under_lock(event_id)
            if kept != places:
                confirmed.append(Disagreement(event.id, event.slug, kept, places))
        except NotFound:
            pass
        finally:
            db.session.rollback()
    return confirmed


def repair(event_id: int) -> Disagreement | None:
    """Write the event's tally from its rows, and say what it was when it disagreed (None: it agreed).
    Runs in the caller's transaction, which should commit once per event: the lock holds RSVPs back.
    NotFound: the event was deleted."""
    event, kept, places = _under_lock(event_id, make_row=True)
    if places == kept:
        return None
    db.session.execute(update(RsvpTally).where(RsvpTally.event_id == event_id)
                       .values(going_people=places.going_people, waitlisted_rsvps=places.waitlisted_rsvps)
                       .execution_options(synchronize_session=False))
    return Disagreement(event.id, event.slug, kept, places)
