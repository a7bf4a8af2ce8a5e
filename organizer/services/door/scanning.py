"""Tickets scanned (or typed) at the door: which RSVP a code names, and checking it in.

A ticket is the URL in its QR code (``…/t/<ticket token>``), the token alone, or the short code
printed under the QR for typing by hand: the first ten hex digits of the token's stored SHA-256,
shown as ``XXXXX-XXXXX``. Only the hash is stored, so the short code is read from it; forty bits
keep two tickets of one event from sharing a code (about one chance in 200,000 at 10,000 RSVPs),
and the lookup is always within the one event whose door it is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from flask_babel import gettext as _
from sqlalchemy import select

from organizer.extensions import db
from organizer.models import DoorLink, Event, Rsvp, RsvpStatus, User
from organizer.services.common.errors import Conflict, NotFound
from organizer.services.common.tokens import hash_token
from organizer.services.door import checkins

SHORT_CODE_DIGITS = 10
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,128}$")
_SHORT = re.compile(rf"^[0-9A-Fa-f]{{{SHORT_CODE_DIGITS}}}$")


def short_code(ticket_token_hash: str) -> str:
    """The code printed under a ticket's QR for typing by hand, e.g. ``3F2A9-C1B04``."""
    digits = ticket_token_hash[:SHORT_CODE_DIGITS].upper()
    half = SHORT_CODE_DIGITS // 2
    return f"{digits[:half]}-{digits[half:]}"


def _parse(code: str) -> tuple[str | None, str | None]:
    """(ticket token, short code) from what the camera read or the volunteer typed."""
    text = (code or "").strip()[:2048]
    if "/t/" in text:
        path = urlsplit(text).path if "://" in text else text
        text = path.rsplit("/t/", 1)[-1].strip("/")
    compact = re.sub(r"[\s-]", "", text)
    if _SHORT.match(compact):
        return None, compact.lower()
    if _TOKEN.match(text):
        return text, None
    return None, None


class TicketRefused(Conflict):
    """The ticket names someone who may not be checked in here; ``rsvp`` is set when it is known."""

    def __init__(self, message: str, rsvp: Rsvp | None = None) -> None:
        super().__init__(message)
        self.rsvp = rsvp


def find(event: Event, code: str) -> Rsvp:
    """The RSVP of this event that the ticket is for; NotFound or TicketRefused with a message a
    volunteer can act on (another event's ticket says so, without saying which event)."""
    token, short = _parse(code)
    if token is not None:
        rsvp = db.session.scalar(select(Rsvp).where(Rsvp.ticket_token_hash == hash_token(token)))
    elif short is not None:
        matches = db.session.scalars(
            select(Rsvp).where(Rsvp.event_id == event.id, Rsvp.ticket_token_hash.startswith(short, autoescape=True))
            .limit(2)
        ).all()
        if len(matches) > 1:
            raise NotFound(_("Two tickets share this code. Scan the QR code or find the name in the list."))
        rsvp = matches[0] if matches else None
    else:
        raise NotFound(_("That is not a ticket code. Scan the QR code again or type the code under it."))
    if rsvp is None:
        raise NotFound(_("No ticket has this code. Check it and try again, or find the name in the list."))
    if rsvp.event_id != event.id:
        raise TicketRefused(_("This ticket is for another event."))
    if rsvp.status is RsvpStatus.CANCELLED:
        raise TicketRefused(_("The ticket of %(name)s was cancelled.", name=rsvp.name), rsvp)
    if rsvp.status is RsvpStatus.WAITLISTED:
        raise TicketRefused(_("%(name)s is on the waitlist, not on the list of people going.", name=rsvp.name), rsvp)
    if rsvp.status is not RsvpStatus.GOING:
        # Asked for approval and not (or not yet) approved: never on the door's list.
        raise TicketRefused(_("%(name)s is not on the list of people going.", name=rsvp.name), rsvp)
    return rsvp


@dataclass(frozen=True)
class ScanResult:
    rsvp: Rsvp
    check_in: checkins.CheckInResult


def check_in_ticket(event: Event, code: str, actor_user: User | None = None, door_link: DoorLink | None = None,
                    idempotency_key: str | None = None, tapped_at: datetime | None = None) -> ScanResult:
    """Check in the person a ticket of this event is for (already in: nothing changes)."""
    rsvp = find(event, code)
    result = checkins.check_in(rsvp, actor_user=actor_user, door_link=door_link,
                               idempotency_key=idempotency_key, tapped_at=tapped_at)
    return ScanResult(rsvp, result)
