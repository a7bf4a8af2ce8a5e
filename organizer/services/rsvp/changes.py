"""Telling everyone going or waiting that their event was cancelled or moved."""

from __future__ import annotations

from sqlalchemy import func, select

from organizer.extensions import db
from organizer.models import (
    Event,
    Rsvp,
    RsvpStatus,
)
from organizer.services.rsvp import notify


def _to_notify(event: Event):
    """Who hears about a change or a cancellation: going or waiting, with an email address."""
    return (
        Rsvp.event_id == event.id,
        Rsvp.status.in_([RsvpStatus.GOING, RsvpStatus.WAITLISTED]),
        Rsvp.email.is_not(None),
        Rsvp.email != "",
    )


def count_to_notify(event: Event) -> int:
    return int(db.session.scalar(select(func.count(Rsvp.id)).where(*_to_notify(event))) or 0)


def notify_event_changed(event: Event, change: str, note: str = "") -> int:
    """Email everyone going or waiting (with an address) that the event was cancelled (``change ==
    "cancelled"``) or moved: ``"time"``, ``"place"`` or ``"time_and_place"``. Returns how many emails were queued."""
    rsvps = db.session.scalars(select(Rsvp).where(*_to_notify(event)).order_by(Rsvp.id)).all()
    for rsvp in rsvps:
        notify.event_changed(rsvp, change, note=note)
    return len(rsvps)
