"""Approval (issue 12.2): an event can take RSVPs as requests that an organizer approves or declines.

A request (``PENDING``) takes no place. Approving it is taking a place, so it follows the same rule as
an RSVP from the form, under the same lock on the event row (capacity.py): the party goes in if it fits
in the places left, otherwise it joins the waitlist in its arrival order (the moment it asked), and the
waitlist's promotion (waitlist.py) lets it in later like anyone else. Approving many at once takes the
lock once and answers them oldest first, so the same rule decides each in turn and the event is never
oversold, whoever else approves, RSVPs or cancels at the same moment.

Approved people are emailed the details kept for people coming (services/events/details.py); declined
people get a message that says nothing about the meeting or why. Neither can be undone here: a declined
person may ask again from the event page, an approved one can be removed from the list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import Event, Rsvp, RsvpStatus, User
from organizer.services.common import permissions
from organizer.services.common.errors import Conflict
from organizer.services.common.permissions import Action

# capacity as a module: the concurrency test replaces its lock to show the race without it.
from organizer.services.rsvp import capacity, notify
from organizer.services.rsvp.links import new_link_token
from organizer.services.rsvp.waitlist import promote_locked
from organizer.timeutil import utcnow

MAX_AT_ONCE = 500  # ids in one bulk answer: more than a page of the list (100) can select


@dataclass
class Answered:
    """What a round of approvals or declines did, to tell the organizer."""

    going: list[Rsvp] = field(default_factory=list)
    waitlisted: list[Rsvp] = field(default_factory=list)
    declined: list[Rsvp] = field(default_factory=list)
    skipped: int = 0  # not (or no longer) waiting for an answer: answered by someone else meanwhile


def can_answer(rsvp: Rsvp) -> bool:
    """Whether an organizer may approve or decline this RSVP now."""
    return rsvp.status is RsvpStatus.PENDING and not rsvp.event.is_cancelled and not rsvp.event.has_ended


def _pending_locked(event: Event, rsvp_ids: Iterable[int]) -> tuple[list[Rsvp], int]:
    """The requests among ``rsvp_ids`` still pending, read under the event lock, oldest first."""
    wanted = sorted({int(rsvp_id) for rsvp_id in rsvp_ids})[:MAX_AT_ONCE]
    if not wanted:
        return [], 0
    found = db.session.scalars(
        select(Rsvp)
        .where(Rsvp.event_id == event.id, Rsvp.id.in_(wanted), Rsvp.status == RsvpStatus.PENDING)
        .order_by(Rsvp.created_at, Rsvp.id)
        .execution_options(populate_existing=True)
    ).all()
    return list(found), len(wanted) - len(found)


def _check_event(event: Event) -> None:
    if event.is_cancelled or event.has_ended:
        raise Conflict(_("This event is cancelled or over: requests can't be answered any more."))


def approve(actor: User, event: Event, rsvp_ids: Iterable[int]) -> Answered:
    """Approve these requests of ``event``, oldest first: each goes in if its party fits in the places
    left, else onto the waitlist. The caller commits."""
    permissions.require(actor, event.campaign, Action.MANAGE_RSVPS)
    event = capacity.lock_event(event.id)
    _check_event(event)
    pending, skipped = _pending_locked(event, rsvp_ids)
    result = Answered(skipped=skipped)
    if not pending:
        return result
    counts = capacity.summary(event)
    if counts.waitlisted_rsvps and counts.places_left:
        promote_locked(event)  # places freed without a promotion: the waitlist first, as for a new RSVP
        counts = capacity.summary(event)
    free = None if counts.capacity is None else counts.capacity - counts.going_people
    moment = utcnow()
    for rsvp in pending:
        rsvp.approved_at = moment
        rsvp.status_changed_at = moment
        if free is None or rsvp.party_size <= free:
            rsvp.status = RsvpStatus.GOING
            if free is not None:
                free -= rsvp.party_size
            result.going.append(rsvp)
        else:
            # Full: the waitlist, in the order they asked (created_at), promoted by its usual rule.
            rsvp.status = RsvpStatus.WAITLISTED
            result.waitlisted.append(rsvp)
    db.session.flush()
    for rsvp in pending:
        notify.answered(rsvp, new_link_token(rsvp))  # their link keeps working: none is issued
    return result


def decline(actor: User, event: Event, rsvp_ids: Iterable[int]) -> Answered:
    """Decline these requests: they take no place and their holders get a neutral message."""
    permissions.require(actor, event.campaign, Action.MANAGE_RSVPS)
    event = capacity.lock_event(event.id)
    _check_event(event)
    pending, skipped = _pending_locked(event, rsvp_ids)
    moment = utcnow()
    for rsvp in pending:
        rsvp.status = RsvpStatus.DECLINED
        rsvp.status_changed_at = moment
        rsvp.submission_key_hash = None  # the same form may ask again
    db.session.flush()
    for rsvp in pending:
        notify.answered(rsvp, "")
    return Answered(declined=pending, skipped=skipped)
