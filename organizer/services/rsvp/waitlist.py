"""The waitlist and its promotion: "first fit in arrival order" (see rsvps.py), and promotion by hand."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import (
    Event,
    EventStatus,
    Rsvp,
    RsvpStatus,
    User,
)
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict
from organizer.services.common.permissions import Action
from organizer.services.rsvp import capacity, notify
from organizer.services.rsvp.capacity import lock_event, relock
from organizer.services.rsvp.links import new_link_token
from organizer.timeutil import utcnow


def can_promote_by_hand(rsvp: Rsvp) -> bool:
    """Whether an organizer may let this RSVP in from the waitlist (not into a cancelled or finished event)."""
    event = rsvp.event
    return rsvp.status is RsvpStatus.WAITLISTED and not event.is_cancelled and not event.has_ended


def promote_by_hand(actor: User, rsvp: Rsvp) -> int:
    """An organizer lets a waitlisted party in, even beyond capacity. Returns places over capacity (0 if none)."""
    permissions.require(actor, rsvp.event.campaign, Action.MANAGE_RSVPS)
    event, rsvp = relock(rsvp)
    if event.is_cancelled or event.has_ended:
        raise Conflict(_("This event is cancelled or over: nobody can be promoted any more."))
    if rsvp.status is not RsvpStatus.WAITLISTED:
        raise Conflict(_("Only someone on the waitlist can be promoted."))
    rsvp.status = RsvpStatus.GOING
    rsvp.status_changed_at = utcnow()
    db.session.flush()
    if rsvp.email:
        notify.promoted(rsvp, new_link_token(rsvp))  # their link keeps working: none is issued
    counts = capacity.summary(event)
    if counts.capacity is None:
        return 0
    return max(counts.going_people - counts.capacity, 0)


def promote_waitlisted(event: Event) -> list[Rsvp]:
    """Fill free places from the waitlist (first fit in arrival order, see the module docstring).

    Locks the event itself; call it in the transaction that freed the places (the caller commits).
    Each promoted person with an email is told by email; everyone keeps the private link they hold.
    """
    locked = lock_event(event.id)
    return promote_locked(locked)


def promote_locked(event: Event) -> list[Rsvp]:
    if event.status is not EventStatus.PUBLISHED or event.ends_at <= utcnow():
        return []  # nobody is let into a cancelled, unpublished or finished event
    counts = capacity.summary(event)
    if not counts.waitlisted_rsvps:
        return []
    free = None if counts.capacity is None else counts.capacity - counts.going_people
    if free is not None and free <= 0:
        return []
    waiting = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.status == RsvpStatus.WAITLISTED)
        .order_by(Rsvp.created_at, Rsvp.id)
    ).all()
    promoted: list[Rsvp] = []
    moment = utcnow()
    for rsvp in waiting:
        if free is not None:
            if free <= 0:
                break
            if rsvp.party_size > free:
                continue  # too big for what is left: keeps its place, a smaller later party may fit
            free -= rsvp.party_size
        rsvp.status = RsvpStatus.GOING
        rsvp.status_changed_at = moment
        promoted.append(rsvp)
        if rsvp.email:
            # No new link: the one the supporter holds (perhaps their only one) keeps working.
            notify.promoted(rsvp, new_link_token(rsvp))
    db.session.flush()
    return promoted
