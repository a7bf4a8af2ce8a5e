"""When RSVPs are open: draft, cancelled, over, or past the RSVP deadline."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import gettext as _

from organizer.formatting import event_datetime
from organizer.models import (
    Event,
    EventStatus,
)
from organizer.services.common.errors import DomainError
from organizer.timeutil import utcnow


class ClosedReason(enum.StrEnum):
    DRAFT = "draft"
    CANCELLED = "cancelled"
    ENDED = "ended"
    DEADLINE = "deadline"


class RsvpsClosed(DomainError):
    """RSVPs can't be taken (or changed) for this event; ``reason`` says why."""

    def __init__(self, reason: ClosedReason, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def closed_reason(event: Event, now: datetime | None = None) -> ClosedReason | None:
    now = now or utcnow()
    if event.status is EventStatus.DRAFT:
        return ClosedReason.DRAFT
    if event.status is EventStatus.CANCELLED:
        return ClosedReason.CANCELLED
    if event.ends_at <= now:
        return ClosedReason.ENDED
    if event.rsvp_deadline is not None and event.rsvp_deadline <= now:
        return ClosedReason.DEADLINE
    return None


def closed_message(event: Event, reason: ClosedReason) -> str:
    if reason is ClosedReason.DRAFT:
        return _("RSVPs aren't open yet: this event is a draft.")
    if reason is ClosedReason.CANCELLED:
        return _("RSVPs are closed: this event was cancelled.")
    if reason is ClosedReason.ENDED:
        return _("RSVPs are closed: this event is over.")
    return _("RSVPs closed on %(when)s.", when=event_datetime(event.rsvp_deadline, event.timezone))


def check_open(event: Event, now: datetime | None = None) -> None:
    reason = closed_reason(event, now)
    if reason is not None:
        raise RsvpsClosed(reason, closed_message(event, reason))
