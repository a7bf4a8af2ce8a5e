"""The crowd counter: people counted at the door without names, as an append-only list of deltas."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import format_number
from flask_babel import gettext as _
from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import (
    CrowdCountEntry,
    DoorLink,
    Event,
    User,
)
from organizer.services.common.errors import Conflict, ValidationFailed
from organizer.services.door.counts import changed as figures_changed
from organizer.services.door.log import clean_idempotency_key
from organizer.services.rsvp.capacity import lock_event  # the one event lock, shared with RSVPs

CROWD_MAX = 1_000_000


def crowd_count(event: Event) -> int:
    total = db.session.scalar(
        select(func.coalesce(func.sum(CrowdCountEntry.delta), 0)).where(CrowdCountEntry.event_id == event.id)
    )
    return int(total or 0)


@dataclass(frozen=True)
class CrowdResult:
    count: int
    changed: bool


def add(event: Event, delta: int, actor_user: User | None = None, door_link: DoorLink | None = None,
        idempotency_key: str | None = None) -> CrowdResult:
    """Add to (or, with a negative delta, take from) the crowd count; it never goes below zero."""
    if not isinstance(delta, int) or abs(delta) > CROWD_MAX:
        raise ValidationFailed(_("Enter a whole number."), field="delta")
    return _change_crowd(event, lambda current: max(current + delta, 0) - current,
                         actor_user, door_link, idempotency_key)


def set_to(event: Event, count: int, actor_user: User | None = None, door_link: DoorLink | None = None,
           idempotency_key: str | None = None) -> CrowdResult:
    """Set the crowd count to a number someone counted; recorded as the difference."""
    if not isinstance(count, int) or count < 0 or count > CROWD_MAX:
        raise ValidationFailed(_("Enter a number from 0 to %(max)s.", max=format_number(CROWD_MAX)), field="count")
    return _change_crowd(event, lambda current: count - current, actor_user, door_link, idempotency_key)


def _change_crowd(event: Event, delta_for, actor_user, door_link, idempotency_key) -> CrowdResult:
    key = clean_idempotency_key(idempotency_key)
    lock_event(event.id)  # serializes crowd changes of this event: read, then write the delta
    if key is not None:
        earlier = db.session.scalar(select(CrowdCountEntry).where(CrowdCountEntry.idempotency_key == key))
        if earlier is not None:
            if earlier.event_id != event.id:
                raise Conflict(_("That request was already used. Reload the page."))
            return CrowdResult(crowd_count(event), changed=False)
    current = crowd_count(event)
    delta = delta_for(current)
    if delta == 0:
        return CrowdResult(current, changed=False)
    figures_changed(event.id)
    db.session.add(CrowdCountEntry(
        event_id=event.id,
        delta=delta,
        actor_user_id=actor_user.id if actor_user is not None else None,
        door_link_id=door_link.id if door_link is not None else None,
        idempotency_key=key,
    ))
    db.session.flush()
    return CrowdResult(current + delta, changed=True)
